using System.Net;
using System.Net.Sockets;

namespace Vigil.Testing;

/// <summary>Loopback ports for servers a test or benchmark starts as another process.</summary>
public static class Ports
{
    /// <summary>
    /// A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it, then the listener closed). Another process
    /// could take it in between, so use it at once; nothing listens on it, so it also serves as a closed port.
    /// </summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
