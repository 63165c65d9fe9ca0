namespace Cluster.Leader.AutoSync;

public sealed partial class AutoSyncService
{
    private static partial class Log
    {
        [LoggerMessage(900, LogLevel.Information, "Auto-Sync started; cluster interval {Seconds} s")]
        public static partial void Started(ILogger logger, double seconds);

        [LoggerMessage(901, LogLevel.Debug, "Auto-Sync checked {Ref}: {Digest} ({Apps} apps, by {Source})")]
        public static partial void Checked(ILogger logger, string @ref, string digest, int apps, string source);

        [LoggerMessage(902, LogLevel.Warning, "Auto-Sync check of {Ref} failed: {Error}; next check at {Next}")]
        public static partial void CheckFailed(ILogger logger, string @ref, string error, string next);

        [LoggerMessage(903, LogLevel.Information, "Auto-Sync: app {App} {Old} -> {New}: deployment {Id} started ({Trigger})")]
        public static partial void Deploying(ILogger logger, string app, string old, string @new, string id, string trigger);

        [LoggerMessage(904, LogLevel.Debug, "Auto-Sync: app {App} sees {Digest}: {Result}")]
        public static partial void Decided(ILogger logger, string app, string digest, string result);

        [LoggerMessage(905, LogLevel.Error, "Auto-Sync loop failed: {Type}: {Message}; retrying in 1 s")]
        public static partial void LoopFailed(ILogger logger, string type, string message);
    }
}
