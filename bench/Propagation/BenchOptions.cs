namespace Cluster.Bench.Propagation;

// Command line of the benchmark. Everything has a default; `--n` is the one that matters.
internal sealed record BenchOptions
{
    public IReadOnlyList<int> Sizes { get; init; } = [10, 100, 1000];

    // Measured broadcasts per N and server (median and p90 are taken over these).
    public int Runs { get; init; } = 7;

    // Broadcasts before the measured ones (JIT, TLS buffers, GC heaps warmed up).
    public int Warmup { get; init; } = 2;

    public string? LeaderPath { get; init; }

    public double HeartbeatSeconds { get; init; } = 5;

    // Thread-pool minimum in this process (1000 streams must not wait for thread injection).
    public int MinThreads { get; init; } = 64;

    // How many agents join / open their session at the same time.
    public int ConnectConcurrency { get; init; } = 32;

    public TimeSpan RoundTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public bool KeepTemp { get; init; }

    // Diagnostic: agents apply increments but do not ack them (times are to the last receipt).
    public bool Acks { get; init; } = true;

    // Extra environment for both servers (e.g. DOTNET_gcServer=0), and for the leader only.
    public IReadOnlyList<string> ServerEnvironment { get; init; } = [];

    public IReadOnlyList<string> LeaderEnvironment { get; init; } = [];

    public IReadOnlyList<string> BareEnvironment { get; init; } = [];

    public const string Usage = """
        propagation-bench: credential propagation from a real cluster-leader to N simulated agents,
        compared with a bare Kestrel gRPC broadcast over the same transport (TLS, one HTTP/2
        connection per agent).

          --n 10,100,1000        agent counts (default 10,100,1000)
          --runs 7               measured broadcasts per N and server (median, p90)
          --warmup 2             unmeasured broadcasts first
          --leader PATH          cluster-leader binary (default src/Leader/bin/Release/net10.0/cluster-leader;
                                 build it with `dotnet build -c Release src/Leader`)
          --heartbeat-period 5   seconds, passed to the leader (and used by the bare server)
          --min-threads 64       ThreadPool.SetMinThreads in the agents' process
          --connect-concurrency 32
          --keep-temp            keep the temp dir (leader data and logs)
          --no-acks              diagnostic: agents apply increments without acking them, so the
                                 times are to the last receipt and the servers store no acks
          --env KEY=VALUE        environment for both servers, e.g. DOTNET_gcServer=0 (repeatable)
          --leader-env KEY=VALUE environment for the leader only, e.g. DOTNET_PerfMapEnabled=1
          --bare-env KEY=VALUE   environment for the bare server only
        """;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--n" => options with { Sizes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Positive).ToList() },
                "--runs" => options with { Runs = Positive(Value()) },
                "--warmup" => options with { Warmup = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                "--leader" => options with { LeaderPath = Value() },
                "--heartbeat-period" => options with { HeartbeatSeconds = double.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                "--min-threads" => options with { MinThreads = Positive(Value()) },
                "--connect-concurrency" => options with { ConnectConcurrency = Positive(Value()) },
                "--keep-temp" => options with { KeepTemp = true },
                "--no-acks" => options with { Acks = false },
                "--env" => options with { ServerEnvironment = [.. options.ServerEnvironment, Variable(Value())] },
                "--leader-env" => options with { LeaderEnvironment = [.. options.LeaderEnvironment, Variable(Value())] },
                "--bare-env" => options with { BareEnvironment = [.. options.BareEnvironment, Variable(Value())] },
                _ => throw new ArgumentException($"unknown argument '{args[i]}'"),
            };
        }

        return options;
    }

    private static string Variable(string text) =>
        text.IndexOf('=', StringComparison.Ordinal) > 0 ? text : throw new ArgumentException($"'{text}' is not KEY=VALUE");

    private static int Positive(string text) =>
        int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"'{text}' is not a positive integer");
}
