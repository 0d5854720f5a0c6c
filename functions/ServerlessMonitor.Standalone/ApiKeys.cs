using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Http;

namespace ServerlessMonitor.Standalone;

/// <summary>Section <c>Auth</c>: the keys that callers present, like Azure Functions' function keys.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>Accepted keys, at least 16 characters each. Rotate by adding the new key, moving callers, removing the old.</summary>
    [MinLength(1, ErrorMessage = "Auth:ApiKeys must hold at least one key (e.g. Auth__ApiKeys__0=<random 32+ chars>); scripts/start.sh generates one.")]
    public List<string> ApiKeys { get; set; } = [];
}

/// <summary>
/// Checks the <c>x-functions-key</c> header or the <c>code</c> query parameter, as Azure Functions does, so agents
/// and restart agents talk to either host unchanged. Keys are held only as SHA-256 hashes and compared in constant time.
/// </summary>
public sealed class ApiKeyValidator
{
    private readonly byte[][] _keyHashes;

    public ApiKeyValidator(IOptions<AuthOptions> options) =>
        _keyHashes = [.. options.Value.ApiKeys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(Hash)];

    public bool IsAuthorized(HttpRequest request)
    {
        var presented = request.Headers["x-functions-key"].FirstOrDefault() ?? request.Query["code"].FirstOrDefault();
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }
        var hash = Hash(presented);
        var match = false;
        foreach (var known in _keyHashes)
        {
            match |= CryptographicOperations.FixedTimeEquals(hash, known);
        }
        return match;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}

public static class ApiKeyExtensions
{
    public static IServiceCollection AddApiKeyAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>()
            .Bind(configuration.GetSection(AuthOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.ApiKeys.All(k => k.Length >= 16), "Every key in Auth:ApiKeys must be at least 16 characters long.")
            .ValidateOnStart();
        services.AddSingleton<ApiKeyValidator>();
        return services;
    }

    /// <summary>Answers 401 with a problem body unless the request carries a valid key.</summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var validator = context.HttpContext.RequestServices.GetRequiredService<ApiKeyValidator>();
            if (!validator.IsAuthorized(context.HttpContext.Request))
            {
                return ApiResponse.Problem(StatusCodes.Status401Unauthorized, "A valid key is required",
                    "Send the key in the x-functions-key header or the code query parameter.", ProblemTypes.Unauthorized);
            }
            return await next(context).ConfigureAwait(false);
        });
}
