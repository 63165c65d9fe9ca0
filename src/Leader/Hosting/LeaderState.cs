using Cluster.Leader.Security;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Hosting;

// Everything the leader keeps in its data dir, opened together under one lock file so two
// leaders (or a leader and `rotate-key`) never share the database:
//   cluster.db (LiteDB; secrets sealed), keys/ (secret keys, 0700/0600), ca.key (0600), ca.crt,
//   admin.token and join.token (0600), leader.lock.
public sealed class LeaderState : IDisposable
{
    private readonly FileStream _lock;

    private LeaderState(string dataDir, FileStream lockFile, SecretBox secrets, LeaderDatabase database)
    {
        DataDir = dataDir;
        _lock = lockFile;
        Secrets = secrets;
        Database = database;
    }

    public string DataDir { get; }

    public SecretBox Secrets { get; }

    public LeaderDatabase Database { get; }

    public static LeaderState Open(string dataDir)
    {
        Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        FileStream lockFile;
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Linux.
            lockFile = new FileStream(Path.Combine(dataDir, "leader.lock"), new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException)
        {
            throw new InvalidOperationException($"{dataDir} is in use by a running cluster-leader; stop it first (systemctl stop cluster-leader)");
        }

        try
        {
            var secrets = SecretBox.LoadOrCreate(Path.Combine(dataDir, "keys"));
            var database = new LeaderDatabase(Path.Combine(dataDir, "cluster.db"));
            return new LeaderState(dataDir, lockFile, secrets, database);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Database.Dispose();
        _lock.Dispose();
    }
}
