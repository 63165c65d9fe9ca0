using Cluster.Core.Files;
using LiteDB;

namespace Cluster.Leader.Storage;

// The leader's LiteDB file (DIR/cluster.db). All writes go through Write(), which runs one
// transaction under one lock: a change and its revision bump and audit entry commit together
// or not at all, so a failure or crash never leaves a half-saved record.
public sealed class LeaderDatabase : IDisposable
{
    public const string CredentialRevision = "credential-revision";

    // One mapper for every database the process opens. A BsonMapper compiles getters, setters
    // and constructors (expression trees, each JIT-compiled fully optimized) for every record
    // type it maps, and caches them in itself: a mapper per database did all of that again at
    // every open (the leader opens one database, but its tests open one per leader start:
    // ~15,000 compiled lambdas in a Leader.Tests run). It holds no state of a database, and
    // LiteDB's own default, BsonMapper.Global, is shared the same way.
    private static readonly BsonMapper Mapper = NewMapper();

    private readonly LiteDatabase _db;
    private readonly Lock _lock = new();

    private readonly string _path;

    // LiteDB folds its log into the data file once the log holds this many 8 KiB pages (its
    // default is 1,000). Its page cache keeps every page read or written since the last fold and
    // grows in segments it never gives back (12, 50, 100, 500, then 1,000 pages): with the default,
    // 1,000 agents' acks or joins pushed it to its fifth segment, 13 MB of the leader's heap for
    // good (issue #14). Folding every 100 pages keeps it within its first four (5 MB) at 1,000
    // nodes, for one more fsync'd write of at most 800 KB every few ack rounds.
    private const int CheckpointPages = 100;

    public LeaderDatabase(string path)
    {
        _path = Path.GetFullPath(path);
        _db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct }, Mapper);
        if (_db.CheckpointSize != CheckpointPages)
        {
            _db.CheckpointSize = CheckpointPages;
        }

        Credentials.EnsureIndex(c => c.Name, unique: true);
        Audit.EnsureIndex(a => a.At);
        Nodes.EnsureIndex(n => n.MachineId);
        NodeChecks.EnsureIndex(c => c.CredentialId);
        Apps.EnsureIndex(a => a.Name, unique: true);
        Deployments.EnsureIndex(d => d.AppId);
        Webhooks.EnsureIndex(w => w.Name, unique: true);
        GitCredentials.EnsureIndex(g => g.Name, unique: true);
    }

    public ILiteCollection<CredentialRecord> Credentials => _db.GetCollection<CredentialRecord>("credentials");

    public ILiteCollection<AuditRecord> Audit => _db.GetCollection<AuditRecord>("audit");

    public ILiteCollection<NodeRecord> Nodes => _db.GetCollection<NodeRecord>("nodes");

    public ILiteCollection<NodeCheckRecord> NodeChecks => _db.GetCollection<NodeCheckRecord>("node_checks");

    public ILiteCollection<AppRecord> Apps => _db.GetCollection<AppRecord>("apps");

    public ILiteCollection<DeploymentRecord> Deployments => _db.GetCollection<DeploymentRecord>("deployments");

    public ILiteCollection<WebhookRecord> Webhooks => _db.GetCollection<WebhookRecord>("webhooks");
    public ILiteCollection<GitCredentialRecord> GitCredentials => _db.GetCollection<GitCredentialRecord>("git_credentials");

    public ILiteCollection<SettingsRecord> Settings => _db.GetCollection<SettingsRecord>("settings");

    private ILiteCollection<CounterRecord> Counters => _db.GetCollection<CounterRecord>("counters");

    public T Read<T>(Func<LeaderDatabase, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        lock (_lock)
        {
            return read(this);
        }
    }

    public T Write<T>(Func<LeaderDatabase, T> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_lock)
        {
            _db.BeginTrans();
            try
            {
                var result = change(this);
                _db.Commit();
                return result;
            }
            catch
            {
                _db.Rollback();
                throw;
            }
        }
    }

    // Inside Write only: the next value of a cluster-wide counter.
    public long Next(string counter)
    {
        var record = Counters.FindById(counter) ?? new CounterRecord { Id = counter };
        record.Value++;
        Counters.Upsert(record);
        return record.Value;
    }

    public long Current(string counter) => Counters.FindById(counter)?.Value ?? 0;

    // Moves every committed transaction from LiteDB's log into the data file and fsyncs both
    // files and their directory: after this returns, the data file alone holds every commit,
    // durably. Key rotation calls it before deleting old keys (a log lost or left behind must
    // not be the only place where secrets are sealed with the new key).
    public void CheckpointAndSync()
    {
        lock (_lock)
        {
            _db.Checkpoint();
            PrivateFile.Sync(_path);
            var log = Path.Combine(Path.GetDirectoryName(_path)!, Path.GetFileNameWithoutExtension(_path) + "-log" + Path.GetExtension(_path));
            if (File.Exists(log))
            {
                PrivateFile.Sync(log);
            }

            PrivateFile.SyncDirectory(Path.GetDirectoryName(_path)!);
        }
    }

    public void Dispose() => _db.Dispose();

    private static BsonMapper NewMapper()
    {
        // Strings are stored as given: LiteDB's defaults would trim them and turn "" into null.
        var mapper = new BsonMapper { EmptyStringToNull = false, TrimWhitespace = false };
        // Deployment states are stored as their public words, the form records had before the
        // enums existed, so old files read back unchanged.
        mapper.RegisterType<DeploymentStatus>(s => s.ToWord(), b => StatusWords.ParseDeploymentStatus(b.AsString));
        mapper.RegisterType<StepStatus>(s => s.ToWord(), b => StatusWords.ParseStepStatus(b.AsString));
        mapper.RegisterType<DeploymentTrigger>(t => t.ToWord(), b => StatusWords.ParseTrigger(b.AsString));
        return mapper;
    }
}
