using System.CommandLine;
using Cluster.Cli.Connection;
using Cluster.Cli.Output;
using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Commands;

// `clusterctl cluster show|set-registry|rotate-join-token|rotate-admin-token`.
internal static class ClusterCommands
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var cluster = new Command("cluster", "Show and configure the cluster");

        var output = GlobalOptions.Output();
        var show = new Command("show", "Nodes, workers, mode (single-node or multi-node) and the build registry") { output };
        show.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var info = await new ClusterAdmin.ClusterAdminClient(leader.Channel).GetClusterAsync(new GetClusterRequest(), leader.Call());
            var view = ClusterView.From(info);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, view, JsonContext.Printing.ClusterView);
                return 0;
            }

            await stdout.WriteLineAsync($"mode:            {view.Mode}");
            await stdout.WriteLineAsync($"nodes:           {view.Nodes} ({view.Workers} worker{(view.Workers == 1 ? "" : "s")})");
            await stdout.WriteLineAsync($"build registry:  {(view.BuildRegistry is null ? "(none)" : $"{view.BuildRegistry} -> {view.BuildNamespace}")}");
            await stdout.WriteLineAsync($"registry:        {(view.RegistryNeeded ? "needed (built images are pushed, nodes pull them)" : "not needed (single node with its build server: images stay local)")}");
            if (view.AppsCannotMove.Count > 0)
            {
                await stdout.WriteLineAsync($"warning: app(s) {string.Join(", ", view.AppsCannotMove)} run on images kept only on one node (registry-less builds) and cannot move to another node");
            }

            if (view.Migration is not null)
            {
                await stdout.WriteLineAsync(view.Migration);
            }

            return 0;
        }));
        cluster.Subcommands.Add(show);

        var name = new Argument<string>("NAME") { Description = "Registry credential build servers push with" };
        var ns = new Option<string>("--namespace") { Description = "HOST/PATH where built images are pushed, e.g. ghcr.io/acme", Required = true };
        var setRegistry = new Command("set-registry", "Choose where built images are pushed (the credential must have push permission there)") { name, ns };
        setRegistry.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var info = await new ClusterAdmin.ClusterAdminClient(leader.Channel).SetBuildRegistryAsync(
                new SetBuildRegistryRequest { Name = parse.GetValue(name)!, Namespace = parse.GetValue(ns)! }, leader.Call(TimeSpan.FromSeconds(90)));
            await stdout.WriteLineAsync($"build registry set: {info.BuildRegistry} -> {info.BuildNamespace} (push permission verified)");
            return 0;
        }));
        cluster.Subcommands.Add(setRegistry);

        var rotate = new Command("rotate-join-token", "Issue a new join token; the old one stops working, joined nodes are unaffected");
        rotate.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            // The new token is a secret: it stays in the leader's 0600 join.token file and is
            // not echoed here, where terminals, logs and CI output would keep it.
            await new ClusterAdmin.ClusterAdminClient(leader.Channel).RotateJoinTokenAsync(new RotateJoinTokenRequest(), leader.Call());
            await stdout.WriteLineAsync("join token rotated: the old one no longer works; the new one is in DATA_DIR/join.token on the leader (mode 0600)");
            return 0;
        }));
        cluster.Subcommands.Add(rotate);

        var rotateAdmin = new Command("rotate-admin-token", "Issue a new admin token; the old one (this one) is refused at once. Prints the new token once");
        rotateAdmin.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            // Unlike the join token, the caller needs the new admin token for every later call
            // and may not be on the leader's machine, so it is printed, once, alone on stdout
            // (TOKEN=$(clusterctl cluster rotate-admin-token) works); the note goes to stderr.
            var response = await new ClusterAdmin.ClusterAdminClient(leader.Channel).RotateAdminTokenAsync(new RotateAdminTokenRequest(), leader.Call());
            await stdout.WriteLineAsync(response.AdminToken);
            await stderr.WriteLineAsync("admin token rotated: the old one is refused from now on; the new one (above, shown only this once) is also in DATA_DIR/admin.token on the leader (mode 0600). Update CLUSTER_TOKEN or the file clusterctl.conf's token-file points to if it holds a copy");
            return 0;
        }));
        cluster.Subcommands.Add(rotateAdmin);
        return cluster;
    }

    // INTERFACE.md: {"nodes","workers","buildRegistry","mode"}; builds add "registryNeeded",
    // "appsCannotMove" and "migration" (what happens to those apps; null when nothing to say).
    internal sealed record ClusterView(uint Nodes, uint Workers, string? BuildRegistry, string? BuildNamespace, string Mode, bool RegistryNeeded, IReadOnlyList<string> AppsCannotMove, string? Migration)
    {
        public static ClusterView From(ClusterInfo i) =>
            new(i.Nodes, i.Workers, string.IsNullOrEmpty(i.BuildRegistry) ? null : i.BuildRegistry, string.IsNullOrEmpty(i.BuildNamespace) ? null : i.BuildNamespace, i.Mode, i.RegistryNeeded, [.. i.AppsCannotMove], string.IsNullOrEmpty(i.Migration) ? null : i.Migration);
    }
}
