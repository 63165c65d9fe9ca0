using Cluster.Leader.Storage;

namespace Cluster.Leader.Agents;

// Joined nodes and their reports, in the leader's database.
public sealed class NodeStore(LeaderDatabase db, TimeProvider time)
{
    public NodeRecord? Get(string id) => db.Read(d => d.Nodes.FindById(id));

    public IReadOnlyList<NodeRecord> All() => db.Read(d => d.Nodes.FindAll().ToList());

    // Enrollment: the same engine re-joining in the same role keeps its node id; the new
    // certificate replaces the old one (which stops working).
    public NodeRecord Enroll(string role, string machineId, string hostname, Func<string, (string Thumbprint, DateTime NotAfter)> issue) =>
        db.Write(d =>
        {
            var existing = d.Nodes.FindOne(n => n.MachineId == machineId && n.Role == role);
            var node = existing ?? new NodeRecord
            {
                Id = "n" + Guid.NewGuid().ToString("N")[..15],
                Role = role,
                MachineId = machineId,
                JoinedAt = time.GetUtcNow().UtcDateTime,
            };
            var (thumbprint, notAfter) = issue(node.Id);
            node.Hostname = hostname;
            node.CertificateThumbprint = thumbprint;
            node.CertificateNotAfter = notAfter;
            node.Revoked = false;
            d.Nodes.Upsert(node);
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = $"{role}@{hostname}", Action = existing is null ? "node.join" : "node.rejoin", Target = node.Id, Details = $"machine={machineId}" });
            return node;
        });

    public void UpdateFacts(string id, string hostname, string swarmNodeId, string swarmRole, string engineVersion, string architecture) =>
        db.Write(d =>
        {
            if (d.Nodes.FindById(id) is { } node)
            {
                node.Hostname = hostname;
                node.SwarmNodeId = swarmNodeId;
                node.SwarmRole = swarmRole;
                node.EngineVersion = engineVersion;
                node.Architecture = architecture;
                node.LastSeen = time.GetUtcNow().UtcDateTime;
                d.Nodes.Update(node);
            }

            return true;
        });

    // Acks of many sessions in one transaction (one fsync), instead of one per ack: with a
    // thousand agents acking a change at once, per-ack writes were the leader's bottleneck.
    public void SaveAcks(IEnumerable<(string NodeId, long Revision, DateTime LastSeen)> acks) =>
        db.Write(d =>
        {
            foreach (var (id, revision, seen) in acks)
            {
                if (d.Nodes.FindById(id) is { } node && (revision > node.AckedRevision || node.LastSeen != seen))
                {
                    node.AckedRevision = Math.Max(node.AckedRevision, revision);
                    node.LastSeen = seen;
                    d.Nodes.Update(node);
                }
            }

            return true;
        });

    public void SessionEnded(string id, DateTime lastSeen, long ackedRevision) => SaveAcks([(id, ackedRevision, lastSeen)]);

    public void RecordCheck(NodeCheckRecord check) => db.Write(d => d.NodeChecks.Upsert(check));

    public IReadOnlyList<NodeCheckRecord> ChecksOf(string credentialId) =>
        db.Read(d => d.NodeChecks.Find(c => c.CredentialId == credentialId).ToList());

    // Revokes the node's certificate and forgets its reports.
    public NodeRecord? Revoke(string idOrHostname, string actor) =>
        db.Write(d =>
        {
            var node = d.Nodes.FindById(idOrHostname) ?? d.Nodes.FindOne(n => n.Hostname == idOrHostname && !n.Revoked);
            if (node is null)
            {
                return null;
            }

            node.Revoked = true;
            node.CertificateThumbprint = "";
            d.Nodes.Update(node);
            d.NodeChecks.DeleteMany(c => c.NodeId == node.Id);
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = "node.remove", Target = node.Id, Details = $"hostname={node.Hostname}" });
            return node;
        });
}
