using System.CommandLine;
using System.Globalization;
using Cluster.Cli.Connection;
using Cluster.Cli.Output;
using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Commands;

// `clusterctl node list|remove|readmit`.
internal static class NodeCommands
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var node = new Command("node", "The cluster's nodes and their agents");

        var output = GlobalOptions.Output();
        var list = new Command("list", "Every node: role, swarm id, agent status and the credential revision it holds") { output };
        list.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var response = await new Nodes.NodesClient(leader.Channel).ListNodesAsync(new ListNodesRequest(), leader.Call());
            var views = response.Nodes.Select(NodeView.From).ToList();
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, views, JsonContext.Printing.ListNodeView);
                return 0;
            }

            Table.Write(stdout, ["HOSTNAME", "ID", "ROLE", "STATUS", "CREDENTIALS", "LAST SEEN"],
                views.Select(v => new[] { v.Hostname, v.Id.Length > 0 ? v.Id : "(no agent)", v.Role, v.Status, "rev " + v.CredentialRevision.ToString(CultureInfo.InvariantCulture), v.LastSeen?.ToString("u", CultureInfo.InvariantCulture) ?? "never" }));
            foreach (var holder in views.Where(v => v.AppsCannotMove.Count > 0))
            {
                await stdout.WriteLineAsync($"warning: app(s) {string.Join(", ", holder.AppsCannotMove)} run on images only {holder.Hostname} holds (registry-less builds) and cannot move to another node");
            }

            if (response.Migration.Length > 0)
            {
                await stdout.WriteLineAsync(response.Migration);
            }

            return 0;
        }));
        node.Subcommands.Add(list);

        var id = new Argument<string>("NODE") { Description = "Node id or hostname" };
        var remove = new Command("remove", "Remove a node: revoke its agent's certificate and refuse it (even with the join token) until `node readmit`") { id };
        remove.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            await new Nodes.NodesClient(leader.Channel).RemoveNodeAsync(new RemoveNodeRequest { Id = parse.GetValue(id)! }, leader.Call());
            await stdout.WriteLineAsync($"node {parse.GetValue(id)} removed; its agent's certificate is revoked and it stays out until `clusterctl node readmit {parse.GetValue(id)}`");
            return 0;
        }));
        node.Subcommands.Add(remove);

        var readmitId = new Argument<string>("NODE") { Description = "Id or hostname of a removed node" };
        var readmit = new Command("readmit", "Let a removed node join again (restart its agent with the join token afterwards)") { readmitId };
        readmit.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var answer = await new NodeAdmission.NodeAdmissionClient(leader.Channel).ReadmitNodeAsync(new ReadmitNodeRequest { Id = parse.GetValue(readmitId)! }, leader.Call());
            await stdout.WriteLineAsync($"node {answer.NodeId} ({answer.Hostname}) readmitted; on that node, restart cluster-agent with the join token (install.sh agent --join-token-file FILE) so it joins again");
            return 0;
        }));
        node.Subcommands.Add(readmit);
        return node;
    }

    // INTERFACE.md: {"id","hostname","role","swarmNodeId","status","credentialRevision","lastSeen"};
    // builds add "appsCannotMove": apps whose registry-less image only this node holds.
    internal sealed record NodeView(string Id, string Hostname, string Role, string SwarmNodeId, string Status, ulong CredentialRevision, DateTimeOffset? LastSeen, string EngineVersion, string Architecture, IReadOnlyList<string> AppsCannotMove)
    {
        public static NodeView From(Node n) =>
            new(n.Id, n.Hostname, n.Role, n.SwarmNodeId, n.Status, n.CredentialRevision, n.LastSeen?.ToDateTimeOffset(), n.EngineVersion, n.Architecture, [.. n.AppsCannotMove]);
    }
}
