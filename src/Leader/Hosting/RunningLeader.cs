namespace Cluster.Leader.Hosting;

// A started leader (LeaderHost.StartAsync): its host and the data dir it holds open. Disposing
// stops the host (hosted services, sessions, the listener) and then closes the database and
// releases leader.lock, so the data dir can be opened again at once.
public sealed class RunningLeader : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LeaderState _state;
    private bool _stopped;

    internal RunningLeader(WebApplication app, LeaderState state)
    {
        _app = app;
        _state = state;
    }

    public IServiceProvider Services => _app.Services;

    // Returns once the host was asked to stop (SIGTERM, SIGINT) and has stopped.
    public async Task WaitForShutdownAsync()
    {
        await _app.WaitForShutdownAsync();
        _stopped = true;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_stopped)
            {
                await _app.StopAsync();
            }

            await _app.DisposeAsync();
        }
        finally
        {
            _state.Dispose();
        }
    }
}
