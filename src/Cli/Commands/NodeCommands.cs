using System.CommandLine;
using System.Globalization;
using Cluster.Cli.Connection;
using Cluster.Cli.Output;
using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Commands;

// `clusterctl node list|remove`.
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
                Json.Write(stdout, views);
                return 0;
            }

            Table.Write(stdout, ["HOSTNAME", "ID", "ROLE", "STATUS", "CREDENTIALS", "LAST SEEN"],
                views.Select(v => new[] { v.Hostname, v.Id.Length > 0 ? v.Id : "(no agent)", v.Role, v.Status, "rev " + v.CredentialRevision.ToString(CultureInfo.InvariantCulture), v.LastSeen?.ToString("u", CultureInfo.InvariantCulture) ?? "never" }));
            return 0;
        }));
        node.Subcommands.Add(list);

        var id = new Argument<string>("NODE") { Description = "Node id or hostname" };
        var remove = new Command("remove", "Forget a node and revoke its agent's certificate (it can no longer connect)") { id };
        remove.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            await new Nodes.NodesClient(leader.Channel).RemoveNodeAsync(new RemoveNodeRequest { Id = parse.GetValue(id)! }, leader.Call());
            await stdout.WriteLineAsync($"node {parse.GetValue(id)} removed; its agent's certificate is revoked");
            return 0;
        }));
        node.Subcommands.Add(remove);
        return node;
    }

    // INTERFACE.md: {"id","hostname","role","swarmNodeId","status","credentialRevision","lastSeen"}.
    private sealed record NodeView(string Id, string Hostname, string Role, string SwarmNodeId, string Status, ulong CredentialRevision, DateTimeOffset? LastSeen, string EngineVersion, string Architecture)
    {
        public static NodeView From(Node n) =>
            new(n.Id, n.Hostname, n.Role, n.SwarmNodeId, n.Status, n.CredentialRevision, n.LastSeen?.ToDateTimeOffset(), n.EngineVersion, n.Architecture);
    }
}
