using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using ServerlessMonitor.Json;

namespace ServerlessMonitor.Http;

/// <summary>
/// A JSON response produced by the core and executed by either host: the standalone host returns it as an
/// <see cref="IResult"/>, the Functions app as an <see cref="IActionResult"/>. One type keeps both hosts byte-for-byte alike.
/// </summary>
public sealed class ApiResponse : IResult, IActionResult
{
    private readonly object _body;
    private readonly JsonTypeInfo _typeInfo;

    private ApiResponse(int statusCode, object body, JsonTypeInfo typeInfo, string contentType)
    {
        StatusCode = statusCode;
        _body = body;
        _typeInfo = typeInfo;
        ContentType = contentType;
    }

    public int StatusCode { get; }
    public string ContentType { get; }
    public object Body => _body;
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>();

    public static ApiResponse Json<T>(int statusCode, T body, JsonTypeInfo<T> typeInfo) where T : notnull =>
        new(statusCode, body, typeInfo, "application/json; charset=utf-8");

    /// <summary>An RFC 9457 problem.</summary>
    public static ApiResponse Problem(int statusCode, string title, string detail, string type)
    {
        var problem = new ProblemDetails { Status = statusCode, Title = title, Detail = detail, Type = ProblemTypes.Base + type };
        return new ApiResponse(statusCode, problem, MonitorJsonContext.Default.ProblemDetails, "application/problem+json");
    }

    /// <summary>An RFC 9457 problem listing what is wrong with each field.</summary>
    public static ApiResponse ValidationProblem(IDictionary<string, string[]> errors, string detail = "One or more fields are invalid.")
    {
        var problem = new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request is invalid",
            Detail = detail,
            Type = ProblemTypes.Base + ProblemTypes.Validation,
        };
        return new ApiResponse(StatusCodes.Status400BadRequest, problem, MonitorJsonContext.Default.HttpValidationProblemDetails, "application/problem+json");
    }

    public ApiResponse WithHeader(string name, string value)
    {
        Headers[name] = value;
        return this;
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = ContentType;
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }
        if (_body is ProblemDetails problem)
        {
            problem.Instance ??= httpContext.Request.Path;
        }
        await JsonSerializer.SerializeAsync(response.Body, _body, _typeInfo, httpContext.RequestAborted).ConfigureAwait(false);
    }

    public Task ExecuteResultAsync(ActionContext context) => ExecuteAsync(context.HttpContext);
}

/// <summary>The <c>type</c> URIs of the problems the API returns; documented in the README.</summary>
public static class ProblemTypes
{
    public const string Base = "https://serverlessmonitor.dev/problems/";
    public const string Validation = "validation";
    public const string MalformedJson = "malformed-json";
    public const string BodyTooLarge = "body-too-large";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string Unauthorized = "unauthorized";
    public const string NotFound = "not-found";
    public const string StorageUnavailable = "storage-unavailable";
    public const string Conflict = "conflict";
}
