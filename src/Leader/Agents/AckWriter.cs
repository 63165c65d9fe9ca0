namespace Cluster.Leader.Agents;

// Persists what live sessions acknowledged (and when they were last seen), every few seconds,
// in one transaction. `node list` reads live sessions directly, so this only decides what
// survives a leader restart; a session's end also saves its last ack at once.
public sealed class AckWriter(SessionRegistry sessions, NodeStore nodes, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var live = sessions.Live;
                if (live.Count > 0)
                {
                    nodes.SaveAcks(live.Select(s => (s.NodeId, s.AckedRevision, s.LastHeartbeat)).ToList());
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
