using Cluster.Lab.Tests.Fixture;
using Cluster.Testing;

namespace Cluster.Lab.Tests.AutoSync;

// A plain TCP forwarder in every lab node's network namespace, 127.0.0.1:<port> -> the lab
// registry, so an image named 127.0.0.1:<port>/... is pulled by each node's real engine
// (loopback registries are plain HTTP for Docker) from the real registry, while the leader,
// on the host, reaches 127.0.0.1:<port> through a FaultProxy. Stopped by pid on dispose.
public sealed class NodeForwarders : IAsyncDisposable
{
    private const string Script = """
        import socket, sys, threading
        listen_port, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
        def pump(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", listen_port))
        server.listen(64)
        print("listening", flush=True)
        while True:
            client, _ = server.accept()
            upstream = socket.create_connection((host, port))
            threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        """;

    private readonly List<Daemon> _forwarders = [];

    public static async Task<NodeForwarders> StartAsync(LabEnvironment env, int port)
    {
        ArgumentNullException.ThrowIfNull(env);
        var script = Path.Combine(Directory.CreateTempSubdirectory("autosync-forward-").FullName, "forward.py");
        await File.WriteAllTextAsync(script, Script);
        var (host, upstreamPort) = (env.Registry.Split(':')[0], env.Registry.Split(':')[1]);
        var forwarders = new NodeForwarders();
        for (var node = 1; node <= env.Nodes; node++)
        {
            var daemon = Daemon.StartCommand("nsenter", $"--net=/var/run/netns/{env[$"LAB_NODE{node}_NETNS"]}", "--", "python3", script, port.ToString(System.Globalization.CultureInfo.InvariantCulture), host, upstreamPort);
            forwarders._forwarders.Add(daemon);
            if (!await daemon.WaitForOutputAsync("listening", TimeSpan.FromSeconds(20)))
            {
                var output = daemon.Output;
                await forwarders.DisposeAsync();
                throw new InvalidOperationException($"forwarder in node {node} did not start: {output}");
            }
        }

        return forwarders;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var forwarder in _forwarders)
        {
            forwarder.Signal("KILL");
            await forwarder.WaitForExitAsync(TimeSpan.FromSeconds(10));
            await forwarder.DisposeAsync();
        }

        _forwarders.Clear();
    }
}
