using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Dashboard;
using ServerlessMonitor.Events;
using ServerlessMonitor.Heartbeats;

namespace ServerlessMonitor.Json;

/// <summary>Source-generated JSON for everything the monitor reads and writes: camelCase, enums as kebab-case strings, nulls omitted.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(MonitorEvent))]
[JsonSerializable(typeof(HeartbeatPayload))]
[JsonSerializable(typeof(HeartbeatResponse))]
[JsonSerializable(typeof(AgentView))]
[JsonSerializable(typeof(AgentView[]))]
[JsonSerializable(typeof(UsageView))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
[JsonSerializable(typeof(Health.HealthReport))]
[JsonSerializable(typeof(Dictionary<string, string[]>))]
[JsonSerializable(typeof(Alerts.AlertWorkItem))]
[JsonSerializable(typeof(Alerts.DeliveriesView))]
[JsonSerializable(typeof(Restarts.RestartState))]
[JsonSerializable(typeof(Restarts.RecoveryPolicyOverrides))]
[JsonSerializable(typeof(Restarts.RecoveryPolicyPayload))]
[JsonSerializable(typeof(Restarts.RecoveryPolicyView))]
[JsonSerializable(typeof(Restarts.CommandResult))]
[JsonSerializable(typeof(Hosts.HostKeyCreated))]
[JsonSerializable(typeof(Hosts.HostKeyRevoked))]
[JsonSerializable(typeof(Hosts.HostCommandsResponse))]
[JsonSerializable(typeof(Hosts.CommandResultResponse))]
public sealed partial class MonitorJsonContext : JsonSerializerContext;

/// <summary>Enums on the wire are kebab-case words (<c>up</c>, <c>alert-only</c>); numbers are refused so a typo can't become a valid state.</summary>
public sealed class KebabCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;
