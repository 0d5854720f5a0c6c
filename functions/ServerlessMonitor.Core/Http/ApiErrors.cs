using Azure;
using Azure.Messaging.ServiceBus;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ServerlessMonitor.Heartbeats;

namespace ServerlessMonitor.Http;

/// <summary>Turns failures of the monitor's own dependencies into 503 problems: the caller did nothing wrong and may retry.</summary>
public static partial class ApiErrors
{
    public static async Task<ApiResponse> GuardAsync(Func<Task<ApiResponse>> handle, ILogger logger, CancellationToken requestAborted)
    {
        try
        {
            return await handle().ConfigureAwait(false);
        }
        catch (Exception e) when (IsDependencyFailure(e, requestAborted))
        {
            LogDependencyFailure(logger, e.GetType().Name, (e as RequestFailedException)?.Status);
            return Unavailable();
        }
    }

    public static ApiResponse Unavailable() =>
        ApiResponse.Problem(StatusCodes.Status503ServiceUnavailable, "Storage is unavailable",
            "The monitor could not reach its storage or event bus. Nothing was changed; retry shortly.", ProblemTypes.StorageUnavailable)
        .WithHeader("Retry-After", "5");

    public static bool IsDependencyFailure(Exception e, CancellationToken requestAborted) => e switch
    {
        RequestFailedException => true,
        ServiceBusException => true,
        ConcurrencyException => true,
        TimeoutException => true,
        HttpRequestException => true,
        // A timeout inside the SDK surfaces as cancellation that the caller did not ask for.
        OperationCanceledException => !requestAborted.IsCancellationRequested,
        AggregateException a => a.InnerExceptions.All(inner => IsDependencyFailure(inner, requestAborted)),
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "A dependency failed ({ExceptionType}, status {Status}); answered 503")]
    private static partial void LogDependencyFailure(ILogger logger, string exceptionType, int? status);
}
