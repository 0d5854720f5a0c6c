using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace ServerlessMonitor.Hosts;

/// <summary>
/// Host keys: <c>{keyId}.{secret}</c>, 12 characters of id and 256 random bits of secret. The id locates the stored
/// hash with one point read; only the SHA-256 of the whole key is stored, and it is compared in constant time.
/// </summary>
public static class HostKeys
{
    public const string HeaderName = "x-host-key";
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const int IdLength = 12;

    public static (string KeyId, string Key) Generate()
    {
        var keyId = RandomNumberGenerator.GetString(IdAlphabet, IdLength);
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (keyId, keyId + "." + secret);
    }

    public static bool IsValidKeyId([NotNullWhen(true)] string? keyId) =>
        keyId is { Length: IdLength } && keyId.All(c => IdAlphabet.Contains(c, StringComparison.Ordinal));

    /// <summary>The key id a presented key claims, or <c>null</c> when it is not shaped like a host key.</summary>
    public static string? KeyIdOf(string? presented)
    {
        if (presented is null || presented.Length > 200)
        {
            return null;
        }
        var dot = presented.IndexOf('.', StringComparison.Ordinal);
        return dot == IdLength && IsValidKeyId(presented[..dot]) ? presented[..dot] : null;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static bool Matches(string presented, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(presented), storedHash);
}
