using Cluster.Leader.Storage;

namespace Cluster.Leader.Agents;

// Joined nodes and their reports, in the leader's database.
public sealed class NodeStore(LeaderDatabase db, TimeProvider time)
{
    public NodeRecord? Get(string id) => db.Read(d => d.Nodes.FindById(id));

    public IReadOnlyList<NodeRecord> All() => db.Read(d => d.Nodes.FindAll().ToList());

    // Enrollment, decided in one transaction so two joins racing for one swarm node cannot both
    // win. A node is named by its enrollment id (random, made by the node) and bound to the swarm
    // node its engine reports. Refused: a removed node, under its enrollment id or its swarm node
    // id, until an admin readmits it; a swarm node bound to another node that is live (isLive) or
    // was seen within staleAfter. A swarm node bound to a node gone longer than that is taken over
    // (the agent was reinstalled with a fresh state dir): the record keeps its node id.
    public EnrollOutcome Enroll(string role, string enrollmentId, string hostname, string swarmNodeId, Func<string, bool> isLive, TimeSpan staleAfter, Func<string, (string Thumbprint, DateTime NotAfter)> issue) =>
        db.Write(d =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            var existing = d.Nodes.FindOne(n => n.MachineId == enrollmentId && n.Role == role);
            if (existing is { Revoked: true })
            {
                return EnrollOutcome.Refused(NodeRefusal.Removed, $"node {existing.Id} ({existing.Hostname}) was removed from the cluster; an admin must run `clusterctl node readmit {existing.Id}` first", existing.Id);
            }

            if (swarmNodeId.Length > 0)
            {
                var holders = d.Nodes.Find(n => n.SwarmNodeId == swarmNodeId && n.Role == role).Where(n => existing is null || n.Id != existing.Id).ToList();
                if (holders.FirstOrDefault(n => n.Revoked) is { } removed)
                {
                    return EnrollOutcome.Refused(NodeRefusal.Removed, $"swarm node {swarmNodeId} belongs to node {removed.Id} ({removed.Hostname}), which was removed from the cluster; an admin must run `clusterctl node readmit {removed.Id}` first", removed.Id);
                }

                foreach (var holder in holders)
                {
                    if (isLive(holder.Id) || (holder.LastSeen is { } seen && now - seen < staleAfter))
                    {
                        return EnrollOutcome.Refused(NodeRefusal.SwarmNodeTaken, $"swarm node {swarmNodeId} is already bound to node {holder.Id} ({holder.Hostname}), whose agent is connected: two agents claim one swarm node", holder.Id);
                    }
                }

                // The holders are stale records of this same swarm node: the newest enrollment
                // takes over the first (keeping its node id); any further ones are forgotten.
                foreach (var stale in holders)
                {
                    if (existing is null)
                    {
                        existing = stale;
                        existing.MachineId = enrollmentId;
                        d.Audit.Insert(new AuditRecord { At = now, Actor = $"{role}@{hostname}", Action = "node.takeover", Target = stale.Id, Details = $"swarm={swarmNodeId} enrollment={enrollmentId}" });
                    }
                    else
                    {
                        d.Nodes.Delete(stale.Id);
                        d.NodeChecks.DeleteMany(c => c.NodeId == stale.Id);
                    }
                }
            }

            var isNew = existing is null;
            var node = existing ?? new NodeRecord
            {
                Id = "n" + Guid.NewGuid().ToString("N")[..15],
                Role = role,
                MachineId = enrollmentId,
                JoinedAt = now,
            };
            var (thumbprint, notAfter) = issue(node.Id);
            node.Hostname = hostname;
            if (swarmNodeId.Length > 0)
            {
                node.SwarmNodeId = swarmNodeId;
            }

            node.CertificateThumbprint = thumbprint;
            node.CertificateNotAfter = notAfter;
            node.Revoked = false;
            d.Nodes.Upsert(node);
            d.Audit.Insert(new AuditRecord { At = now, Actor = $"{role}@{hostname}", Action = isNew ? "node.join" : "node.rejoin", Target = node.Id, Details = $"enrollment={enrollmentId} swarm={swarmNodeId}" });
            return EnrollOutcome.Enrolled(node);
        });

    // Renewal with the current certificate: a new certificate for the same node; the old one
    // stops working. Null when the node is gone or removed meanwhile.
    public NodeRecord? Renew(string nodeId, string presentedThumbprint, Func<string, (string Thumbprint, DateTime NotAfter)> issue) =>
        db.Write(d =>
        {
            var node = d.Nodes.FindById(nodeId);
            if (node is null || node.Revoked || !string.Equals(node.CertificateThumbprint, presentedThumbprint, StringComparison.Ordinal))
            {
                return null;
            }

            var (thumbprint, notAfter) = issue(node.Id);
            node.CertificateThumbprint = thumbprint;
            node.CertificateNotAfter = notAfter;
            d.Nodes.Update(node);
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = $"{node.Role}@{node.Hostname}", Action = "node.renew", Target = node.Id, Details = "" });
            return node;
        });

    // Binds a node to the swarm node its engine reports, at its first session with one (a node
    // that enrolled before its engine joined the swarm), or rebinds it when the bound swarm node
    // is no longer in the swarm (the engine left and re-joined). Returns the refusal, or null.
    public EnrollOutcome BindSwarm(string nodeId, string swarmNodeId, IReadOnlyCollection<string> swarmNodeIds, Func<string, bool> isLive) =>
        db.Write(d =>
        {
            var node = d.Nodes.FindById(nodeId);
            if (node is null)
            {
                return EnrollOutcome.Refused(NodeRefusal.Removed, $"node {nodeId} is not in the cluster", nodeId);
            }

            if (node.SwarmNodeId == swarmNodeId)
            {
                return EnrollOutcome.Enrolled(node);
            }

            if (!swarmNodeIds.Contains(swarmNodeId))
            {
                return EnrollOutcome.Refused(NodeRefusal.SwarmNodeUnknown, $"swarm node {swarmNodeId} is not a node of the swarm this leader manages; join this engine to the swarm first (docker swarm join)", nodeId);
            }

            if (node.SwarmNodeId.Length > 0 && swarmNodeIds.Contains(node.SwarmNodeId))
            {
                return EnrollOutcome.Refused(NodeRefusal.SwarmNodeMismatch,
                    $"node {nodeId}'s certificate is bound to swarm node {node.SwarmNodeId}, but this engine is swarm node {swarmNodeId}: the state dir was copied from another node; give this host its own state dir (delete it) and join again", nodeId);
            }

            var holder = d.Nodes.FindOne(n => n.SwarmNodeId == swarmNodeId && n.Role == node.Role && n.Id != nodeId);
            if (holder is not null && (holder.Revoked || isLive(holder.Id)))
            {
                return holder.Revoked
                    ? EnrollOutcome.Refused(NodeRefusal.Removed, $"swarm node {swarmNodeId} belongs to node {holder.Id}, which was removed from the cluster; an admin must run `clusterctl node readmit {holder.Id}` first", holder.Id)
                    : EnrollOutcome.Refused(NodeRefusal.SwarmNodeTaken, $"swarm node {swarmNodeId} is already bound to node {holder.Id} ({holder.Hostname}), whose agent is connected: two agents claim one swarm node", holder.Id);
            }

            if (holder is not null)
            {
                holder.SwarmNodeId = "";
                d.Nodes.Update(holder);
            }

            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = $"{node.Role}@{node.Hostname}", Action = "node.bind", Target = node.Id, Details = $"swarm={swarmNodeId} was={node.SwarmNodeId}" });
            node.SwarmNodeId = swarmNodeId;
            d.Nodes.Update(node);
            return EnrollOutcome.Enrolled(node);
        });

    // An admin lets a removed node back in: its next join with the join token is accepted (its
    // old certificate stays revoked). Null when no removed node matches.
    public NodeRecord? Readmit(string idOrHostname, string actor) =>
        db.Write(d =>
        {
            var node = d.Nodes.FindOne(n => n.Id == idOrHostname && n.Revoked)
                ?? d.Nodes.Find(n => n.Hostname == idOrHostname && n.Revoked).OrderByDescending(n => n.LastSeen).FirstOrDefault();
            if (node is null)
            {
                return null;
            }

            node.Revoked = false;
            node.CertificateThumbprint = "";
            d.Nodes.Update(node);
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = "node.readmit", Target = node.Id, Details = $"hostname={node.Hostname}" });
            return node;
        });

    // The swarm node id is not a fact the agent may change here: it is bound (Enroll, BindSwarm).
    public void UpdateFacts(string id, string hostname, string swarmRole, string engineVersion, string architecture) =>
        db.Write(d =>
        {
            if (d.Nodes.FindById(id) is { } node)
            {
                node.Hostname = hostname;
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
