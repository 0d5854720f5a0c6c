using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ServerlessMonitor.Alerts.Channels;
using ServerlessMonitor.Http;
using ServerlessMonitor.Json;

namespace ServerlessMonitor.Alerts;

public sealed record DeliveryView
{
    public required string DeliveryId { get; init; }
    public required string Channel { get; init; }
    public string? ChannelType { get; init; }
    public DeliveryKind Kind { get; init; }
    public DeliveryStatus Status { get; init; }
    public string? EventType { get; init; }
    public string? Agent { get; init; }
    public string? IncidentId { get; init; }
    /// <summary>For grouped chat messages: the events in the message and their agents.</summary>
    public string[]? Events { get; init; }
    public string[]? Agents { get; init; }
    public int Attempts { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FirstAttemptAt { get; init; }
    public DateTimeOffset? LastAttemptAt { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public int? LastHttpStatus { get; init; }
    public string? LastError { get; init; }

    public static DeliveryView From(DeliveryRecord r) => new()
    {
        DeliveryId = r.DeliveryId,
        Channel = r.Channel,
        ChannelType = r.ChannelType,
        Kind = r.Kind,
        Status = r.Status,
        EventType = r.EventType,
        Agent = r.Agent,
        IncidentId = r.IncidentId,
        Events = r.MemberEventIds.Count > 0 ? [.. r.MemberEventIds] : null,
        Agents = r.MemberAgents.Count > 0 ? [.. r.MemberAgents] : null,
        Attempts = r.Attempts,
        CreatedAt = r.CreatedAt,
        FirstAttemptAt = r.FirstAttemptAt,
        LastAttemptAt = r.LastAttemptAt,
        NextAttemptAt = r.NextAttemptAt,
        CompletedAt = r.CompletedAt,
        LastHttpStatus = r.LastHttpStatus,
        LastError = r.LastError,
    };
}

/// <summary>A configured channel and whether it is enabled; never its URL or secrets.</summary>
public sealed record ChannelView(string Name, string Type, bool Enabled, DateTimeOffset? DisabledAt, string? DisabledReason);

public sealed record DeliveriesView(DeliveryStatus Status, ChannelView[] Channels, DeliveryView[] Deliveries);

/// <summary>
/// <c>GET /api/deliveries?status=dead&amp;limit=100</c>: deliveries that were given up (or, for troubleshooting, those in
/// another status), newest first, and the state of every channel (a channel disabled after HTTP 410 says so here).
/// </summary>
public sealed class DeliveriesApi(DeliveryRepository deliveries, AlertChannels channels, ILogger<DeliveriesApi> logger)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    private static readonly DeliveryStatus[] Listable = [DeliveryStatus.Dead, DeliveryStatus.Retrying, DeliveryStatus.Sending, DeliveryStatus.Pending, DeliveryStatus.Delivered];

    public Task<ApiResponse> ListAsync(string? status, string? limit, CancellationToken cancellationToken) =>
        ApiErrors.GuardAsync(async () =>
        {
            var errors = new Dictionary<string, string[]>();
            var wanted = DeliveryStatus.Dead;
            if (!string.IsNullOrEmpty(status))
            {
                var match = Listable.Where(s => WireNames.Name(s) == status).ToList();
                if (match.Count == 0)
                {
                    errors["status"] = [$"The status must be one of {string.Join(", ", Listable.Select(WireNames.Name))}."];
                }
                else
                {
                    wanted = match[0];
                }
            }
            var max = DefaultLimit;
            if (!string.IsNullOrEmpty(limit) && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max is < 1 or > MaxLimit))
            {
                errors["limit"] = [$"The limit must be a whole number from 1 to {MaxLimit}."];
            }
            if (errors.Count > 0)
            {
                return ApiResponse.ValidationProblem(errors);
            }

            var states = (await deliveries.ListChannelStatesAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(s => s.Channel, StringComparer.OrdinalIgnoreCase);
            var channelViews = channels.All.Select(channel =>
            {
                var disabled = states.GetValueOrDefault(channel.Name) is { Disabled: true } state && state.Fingerprint == channel.EndpointFingerprint ? state : null;
                return new ChannelView(channel.Name, channel.Type, disabled is null, disabled?.DisabledAt, disabled?.Reason);
            }).ToArray();

            var listed = new List<DeliveryView>();
            var source = wanted == DeliveryStatus.Dead ? deliveries.ListDeadAsync(max, cancellationToken) : deliveries.ListByStatusAsync(wanted, max, cancellationToken);
            await foreach (var record in source.ConfigureAwait(false))
            {
                listed.Add(DeliveryView.From(record));
            }
            return ApiResponse.Json(StatusCodes.Status200OK, new DeliveriesView(wanted, channelViews, [.. listed]), MonitorJsonContext.Default.DeliveriesView);
        }, logger, cancellationToken);
}
