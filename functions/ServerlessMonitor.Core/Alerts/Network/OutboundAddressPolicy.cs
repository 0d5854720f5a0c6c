using System.Net;
using System.Net.Sockets;

namespace ServerlessMonitor.Alerts.Network;

/// <summary>Where an IP address points, as far as sending alerts there is concerned.</summary>
public enum AddressRange
{
    Public,
    Loopback,
    /// <summary>10/8, 172.16/12, 192.168/16, fc00::/7.</summary>
    Private,
    /// <summary>169.254/16, fe80::/10.</summary>
    LinkLocal,
    /// <summary>100.64/10 (carrier-grade NAT; also where some clouds put their metadata services).</summary>
    SharedAddressSpace,
    /// <summary>Cloud instance metadata and host endpoints, which hand out credentials: 169.254.169.254, fd00:ec2::254, Azure's 168.63.129.16.</summary>
    Metadata,
    /// <summary>This-network, documentation, benchmarking, multicast and other special-purpose ranges: never a chat service.</summary>
    Reserved,
}

/// <summary>
/// Which addresses alert requests may connect to. Channel URLs come from settings, but a webhook URL is still a way to make
/// the monitor send requests into its own network (SSRF), so only public addresses are allowed by default.
/// Loopback, private, link-local and shared ranges open up with <c>Alerts:AllowPrivateNetworks</c>; metadata and anything
/// else only through an explicit <c>Alerts:AllowedNetworks</c> entry.
/// </summary>
public sealed class OutboundAddressPolicy(bool allowPrivateNetworks, IReadOnlyList<IPNetwork> allowedNetworks)
{
    private static readonly IPAddress[] MetadataAddresses =
    [
        IPAddress.Parse("169.254.169.254"),
        IPAddress.Parse("fd00:ec2::254"),
        IPAddress.Parse("168.63.129.16"),
        IPAddress.Parse("100.100.100.200"),
    ];

    private static readonly (IPNetwork Network, AddressRange Range)[] Ranges =
    [
        (IPNetwork.Parse("127.0.0.0/8"), AddressRange.Loopback),
        (IPNetwork.Parse("::1/128"), AddressRange.Loopback),
        (IPNetwork.Parse("10.0.0.0/8"), AddressRange.Private),
        (IPNetwork.Parse("172.16.0.0/12"), AddressRange.Private),
        (IPNetwork.Parse("192.168.0.0/16"), AddressRange.Private),
        (IPNetwork.Parse("fc00::/7"), AddressRange.Private),
        (IPNetwork.Parse("169.254.0.0/16"), AddressRange.LinkLocal),
        (IPNetwork.Parse("fe80::/10"), AddressRange.LinkLocal),
        (IPNetwork.Parse("100.64.0.0/10"), AddressRange.SharedAddressSpace),
        (IPNetwork.Parse("0.0.0.0/8"), AddressRange.Reserved),
        (IPNetwork.Parse("192.0.0.0/24"), AddressRange.Reserved),
        (IPNetwork.Parse("192.0.2.0/24"), AddressRange.Reserved),
        (IPNetwork.Parse("198.18.0.0/15"), AddressRange.Reserved),
        (IPNetwork.Parse("198.51.100.0/24"), AddressRange.Reserved),
        (IPNetwork.Parse("203.0.113.0/24"), AddressRange.Reserved),
        (IPNetwork.Parse("224.0.0.0/4"), AddressRange.Reserved),
        (IPNetwork.Parse("240.0.0.0/4"), AddressRange.Reserved),
        (IPNetwork.Parse("::/128"), AddressRange.Reserved),
        (IPNetwork.Parse("100::/64"), AddressRange.Reserved),
        (IPNetwork.Parse("2001::/32"), AddressRange.Reserved),
        (IPNetwork.Parse("2001:db8::/32"), AddressRange.Reserved),
        (IPNetwork.Parse("ff00::/8"), AddressRange.Reserved),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    public static OutboundAddressPolicy From(AlertOptions options) => new(options.AllowPrivateNetworks, options.ParsedAllowedNetworks());

    /// <summary>Whether alert requests may connect to <paramref name="address"/>; <paramref name="range"/> says where it points.</summary>
    public bool IsAllowed(IPAddress address, out AddressRange range)
    {
        address = Normalize(address);
        range = Classify(address);
        if (allowedNetworks.Any(n => n.Contains(address)))
        {
            return true;
        }
        return range switch
        {
            AddressRange.Public => true,
            AddressRange.Loopback or AddressRange.Private or AddressRange.LinkLocal or AddressRange.SharedAddressSpace => allowPrivateNetworks,
            _ => false,
        };
    }

    public static AddressRange Classify(IPAddress address)
    {
        address = Normalize(address);
        if (MetadataAddresses.Contains(address))
        {
            return AddressRange.Metadata;
        }
        foreach (var (network, range) in Ranges)
        {
            if (network.Contains(address))
            {
                return range;
            }
        }
        return AddressRange.Public;
    }

    /// <summary>IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged by that IPv4 address, or they would be a way around the ranges.</summary>
    private static IPAddress Normalize(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        var bytes = address.GetAddressBytes();
        if (Nat64.Contains(address))
        {
            return new IPAddress(bytes.AsSpan(12, 4));
        }
        if (SixToFour.Contains(address))
        {
            return new IPAddress(bytes.AsSpan(2, 4));
        }
        return address;
    }
}
