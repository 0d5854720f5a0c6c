using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ServerlessMonitor.Alerts.Channels;

/// <summary>
/// Signing per the Standard Webhooks specification (https://www.standardwebhooks.com): the signed content is
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c>, the signature HMAC-SHA256 with the secret's bytes, written
/// <c>v1,{base64}</c>; several signatures (one per secret, during a rotation) are separated by spaces.
/// </summary>
public static class StandardWebhookSignature
{
    public const string SecretPrefix = "whsec_";
    public const int MinSecretBytes = 24;
    public const int MaxSecretBytes = 64;

    /// <summary>Reads a <c>whsec_&lt;base64&gt;</c> secret into its key bytes.</summary>
    public static bool TryDecodeSecret(string secret, out byte[] key)
    {
        key = [];
        secret = secret.Trim();
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        try
        {
            key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
        }
        catch (FormatException)
        {
            return false;
        }
        return key.Length is >= MinSecretBytes and <= MaxSecretBytes;
    }

    /// <summary>The <c>webhook-signature</c> header value: one <c>v1,</c> signature per key, space-separated.</summary>
    public static string Sign(string messageId, long timestamp, ReadOnlySpan<byte> body, IEnumerable<byte[]> keys)
    {
        var prefix = Encoding.UTF8.GetBytes(messageId + "." + timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return string.Join(' ', keys.Select(key => "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content))));
    }
}
