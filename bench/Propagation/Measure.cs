namespace Cluster.Bench.Propagation;

// One N: the leader and the bare server side by side, each with its own N agents, their
// broadcasts interleaved (leader, bare, bare, leader, ...) so that whatever else runs on the
// machine weighs on both alike.
internal static class Measure
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);

    public static async Task<(PhaseResult Leader, PhaseResult Bare)> RunAsync(int n, string leaderPath, string tempRoot, BenchOptions options, CancellationToken cancellationToken)
    {
        var leader = await LeaderSide.StartAsync(n, leaderPath, tempRoot, options, cancellationToken);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            leader.MeasureIdle();

            // The first warm-up also yields the increment, byte for byte, that the bare server sends.
            leader.Result.Warmups.Add(await leader.BroadcastAsync(cancellationToken));
            leader.Result.MessageBytes = leader.Increment.Length;
            await using var bare = await BareSide.StartAsync(leader.Identities, leader.Increment, tempRoot, options, cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            bare.MeasureIdle();

            for (var i = 0; i < options.Warmup; i++)
            {
                if (i > 0)
                {
                    leader.Result.Warmups.Add(await leader.BroadcastAsync(cancellationToken));
                    await Task.Delay(Pause, cancellationToken);
                }

                bare.Result.Warmups.Add(await bare.BroadcastAsync(cancellationToken));
                await Task.Delay(Pause, cancellationToken);
            }

            for (var i = 0; i < options.Runs; i++)
            {
                var leaderFirst = i % 2 == 0;
                for (var turn = 0; turn < 2; turn++)
                {
                    if (leaderFirst == (turn == 0))
                    {
                        leader.Result.Runs.Add(await leader.BroadcastAsync(cancellationToken));
                    }
                    else
                    {
                        bare.Result.Runs.Add(await bare.BroadcastAsync(cancellationToken));
                    }

                    await Task.Delay(Pause, cancellationToken);
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            await leader.FinishAsync(cancellationToken);
            bare.Finish();
            Report.Phase(leader.Result);
            Report.Phase(bare.Result);
            return (leader.Result, bare.Result);
        }
        finally
        {
            await leader.DisposeAsync();
            leader.Identities.ForEach(i => i.Dispose());
        }
    }
}
