using System.Net.Sockets;
using Cluster.Testing;

namespace Cluster.Install.Tests.Fixture;

// A byte-for-byte relay from a unix socket we own to a lab engine's socket. The lab dir is
// 0700 (root only), so a dedicated service user could never reach a lab engine; this socket,
// root:docker 0660 in a directory others may enter, is what a real engine's socket looks like
// (/var/run/docker.sock), so the installs run as their own user exactly as on a real node.
// Nothing is interpreted or changed: the daemons talk to the real engine.
public sealed class UnixSocketProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _open = [];
    private readonly Task _accepting;

    private UnixSocketProxy(Socket listener, string path, string target)
    {
        _listener = listener;
        _target = target;
        Path = path;
        _accepting = AcceptAsync();
    }

    public string Path { get; }

    public Uri Uri => new("unix://" + Path);

    public static async Task<UnixSocketProxy> StartAsync(string path, string target, string group)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        var chgrp = await ProcessRunner.RunAsync("chgrp", [group, path], TimeSpan.FromSeconds(30));
        if (chgrp.ExitCode != 0)
        {
            listener.Dispose();
            throw new InvalidOperationException($"chgrp {group} {path}: {chgrp}");
        }

        return new UnixSocketProxy(listener, path, target);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        lock (_open)
        {
            foreach (var socket in _open)
            {
                socket.Dispose();
            }
        }

        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }

        _stop.Dispose();
        File.Delete(Path);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptAsync(_stop.Token);
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var upstream = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        Track(client);
        Track(upstream);
        try
        {
            await upstream.ConnectAsync(new UnixDomainSocketEndPoint(_target), _stop.Token);
            await Task.WhenAll(CopyAsync(client, upstream), CopyAsync(upstream, client));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            // A closed end closes the relay.
        }
        finally
        {
            Untrack(client);
            Untrack(upstream);
            client.Dispose();
            upstream.Dispose();
        }
    }

    private async Task CopyAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    break;
                }

                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            from.Dispose();
            to.Dispose();
        }
    }

    private void Track(Socket socket)
    {
        lock (_open)
        {
            _open.Add(socket);
        }
    }

    private void Untrack(Socket socket)
    {
        lock (_open)
        {
            _open.Remove(socket);
        }
    }
}
