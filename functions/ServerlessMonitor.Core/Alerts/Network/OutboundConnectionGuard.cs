using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace ServerlessMonitor.Alerts.Network;

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> of the alerts HTTP client: resolves the host itself, checks every
/// address against <see cref="OutboundAddressPolicy"/> and connects only to an address it checked. Checking the URL's host
/// name up front would not do: DNS can answer differently at connect time (rebinding).
/// </summary>
public sealed class OutboundConnectionGuard(IOptionsMonitor<AlertOptions> options)
{
    /// <summary>Opens the TCP connection to a checked address. Tests replace it to prove that a refused address is never dialled.</summary>
    internal Func<IPAddress, int, CancellationToken, ValueTask<Stream>> OpenConnection { get; set; } = ConnectSocketAsync;

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);

        var policy = OutboundAddressPolicy.From(options.CurrentValue);
        var allowed = new List<IPAddress>();
        OutboundAddressRefusedException? refusal = null;
        foreach (var address in addresses)
        {
            if (policy.IsAllowed(address, out var range))
            {
                allowed.Add(address);
            }
            else
            {
                refusal ??= new OutboundAddressRefusedException(address, range);
            }
        }
        if (allowed.Count == 0)
        {
            throw refusal ?? new OutboundAddressRefusedException(null, AddressRange.Reserved);
        }

        Exception? last = null;
        foreach (var address in allowed)
        {
            try
            {
                return await OpenConnection(address, endpoint.Port, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                last = e;
            }
        }
        throw last!;
    }

    private static async ValueTask<Stream> ConnectSocketAsync(IPAddress address, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(address, port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>An alert endpoint resolved only to addresses the outbound policy refuses. The message names the address and its range, never the URL.</summary>
public sealed class OutboundAddressRefusedException(IPAddress? address, AddressRange range)
    : IOException(address is null
        ? "refused: the host name resolved to no address"
        : $"refused: the endpoint resolves to {address} ({Describe(range)}); " + Remedy(range))
{
    public IPAddress? Address { get; } = address;
    public AddressRange Range { get; } = range;

    private static string Describe(AddressRange range) => range switch
    {
        AddressRange.Loopback => "loopback",
        AddressRange.Private => "a private network",
        AddressRange.LinkLocal => "link-local",
        AddressRange.SharedAddressSpace => "shared address space 100.64/10",
        AddressRange.Metadata => "a cloud metadata endpoint",
        _ => "a reserved range",
    };

    private static string Remedy(AddressRange range) => range switch
    {
        AddressRange.Loopback or AddressRange.Private or AddressRange.LinkLocal or AddressRange.SharedAddressSpace =>
            "set Alerts:AllowPrivateNetworks or list the network in Alerts:AllowedNetworks if this is intended",
        _ => "list the network in Alerts:AllowedNetworks if this is really intended",
    };
}
