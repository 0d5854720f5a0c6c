using System.Text.Json;

namespace ServerlessMonitor.Json;

/// <summary>The wire name of an enum value, the same the JSON converter writes.</summary>
public static class WireNames
{
    public static string Name<TEnum>(TEnum value) where TEnum : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
}
