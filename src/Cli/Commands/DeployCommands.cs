using System.CommandLine;
using Cluster.Cli.Connection;
using Cluster.Cli.Output;
using Cluster.Protos.Admin.V1;
using Grpc.Core;

namespace Cluster.Cli.Commands;

// `clusterctl deploy NAME [--tag TAG | --from-dir PATH]` and `clusterctl deployment
// list|show|cancel`. deploy waits for the outcome and exits 0 only on success; it prints each
// step as it happens, with per-node pull progress when the output is a terminal. With --from-dir
// it first packs and uploads the folder (FolderUpload) and the deployment builds exactly that.
// cancel waits until the deployment has stopped and exits 0 only when the cancel stopped it.
internal static class DeployCommands
{
    private static readonly TimeSpan DeployDeadline = TimeSpan.FromMinutes(30);

    // Stopping is bounded on the leader (a build's cancel grace, putting the service back); this
    // leaves room for both.
    private static readonly TimeSpan CancelDeadline = TimeSpan.FromMinutes(5);

    public static IEnumerable<Command> Build(TextWriter stdout, TextWriter stderr)
    {
        yield return Deploy(stdout, stderr);
        yield return Deployment(stdout, stderr);
    }

    private static Command Deploy(TextWriter stdout, TextWriter stderr)
    {
        var name = new Argument<string>("NAME") { Description = "App to deploy" };
        var tag = new Option<string?>("--tag") { Description = "Deploy this tag instead of the app's current one" };
        var fromDir = new Option<string?>("--from-dir") { Description = "For an app created with --from-dir: the folder to build (on this machine), sent to the leader as a tar (.dockerignore honoured)" };
        var output = GlobalOptions.Output();
        var command = new Command("deploy", "Deploy an app: build it (git or --from-dir apps), resolve the tag, pre-pull on every node, update, confirm (rolls back on failure)") { name, tag, fromDir, output };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var json = parse.GetValue(output) == OutputFormat.Json;
            var terminal = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
            var lastPercent = new Dictionary<string, int>(StringComparer.Ordinal);
            var request = new DeployRequest { App = parse.GetValue(name)!, Tag = parse.GetValue(tag) ?? "" };
            if (parse.GetValue(fromDir) is { } folder)
            {
                if (request.Tag.Length > 0)
                {
                    throw new CliException("--tag and --from-dir do not go together: the build tags the image with the folder's sha256");
                }

                request.UploadId = await FolderUpload.SendAsync(leader, request.App, folder, json ? null : stdout);
            }

            using var call = new Deployments.DeploymentsClient(leader.Channel).Deploy(request, leader.Call(DeployDeadline));
            Deployment? finished = null;
            await foreach (var e in call.ResponseStream.ReadAllAsync())
            {
                switch (e.KindCase)
                {
                    case DeployEvent.KindOneofCase.Log when !json:
                        await stdout.WriteLineAsync(e.Log);
                        break;
                    case DeployEvent.KindOneofCase.Node when !json:
                        await WriteNodeAsync(stdout, e.Node, terminal, lastPercent);
                        break;
                    case DeployEvent.KindOneofCase.Finished:
                        finished = e.Finished;
                        break;
                    default:
                        break;
                }
            }

            if (finished is null)
            {
                throw new CliException("the leader ended the deployment stream without a result; see `clusterctl deployment list` for its outcome");
            }

            if (json)
            {
                Json.Write(stdout, DeploymentView.From(finished), JsonContext.Printing.DeploymentView);
            }
            else
            {
                await stdout.WriteLineAsync($"deployment {finished.Id}: {finished.Status}{(string.IsNullOrEmpty(finished.Digest) ? "" : " " + finished.Digest)}");
            }

            if (finished.Status != "succeeded")
            {
                await stderr.WriteLineAsync($"clusterctl: deployment {finished.Id} {finished.Status}: {finished.Error}");
                return 1;
            }

            return 0;
        }));
        return command;
    }

    private static async Task WriteNodeAsync(TextWriter stdout, NodeStep step, bool terminal, Dictionary<string, int> lastPercent)
    {
        if (step.BytesTotal > 0)
        {
            // Progress: on a terminal every 10 %, otherwise not at all (plain logs stay short).
            var percent = (int)(step.BytesDone * 100 / step.BytesTotal);
            var key = step.Node + "/" + step.Step;
            if (!terminal || (lastPercent.TryGetValue(key, out var last) && percent - last < 10 && percent < 100))
            {
                return;
            }

            lastPercent[key] = percent;
            await stdout.WriteLineAsync($"  {step.Node}: {step.Step} {Bar(percent)} {percent,3}% of {step.BytesTotal / 1048576.0:0.0} MB");
            return;
        }

        // Progress events before the size is known repeat the "running" status: say it once.
        var line = $"  {step.Node}: {step.Step} {step.Status}{(string.IsNullOrEmpty(step.Error) ? "" : ": " + step.Error)}";
        if (lastPercent.TryAdd("line:" + line, 0))
        {
            await stdout.WriteLineAsync(line);
        }
    }

    private static string Bar(int percent) => "[" + new string('#', percent / 5).PadRight(20, '.') + "]";

    private static Command Deployment(TextWriter stdout, TextWriter stderr)
    {
        var deployment = new Command("deployment", "Past and running deployments");

        var app = new Argument<string>("NAME") { Description = "App" };
        var listOutput = GlobalOptions.Output();
        var list = new Command("list", "An app's deployments, newest first") { app, listOutput };
        list.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var response = await new Deployments.DeploymentsClient(leader.Channel).ListDeploymentsAsync(new ListDeploymentsRequest { App = parse.GetValue(app)! }, leader.Call());
            var views = response.Deployments.Select(DeploymentView.From).ToList();
            if (parse.GetValue(listOutput) == OutputFormat.Json)
            {
                Json.Write(stdout, views, JsonContext.Printing.ListDeploymentView);
                return 0;
            }

            Table.Write(stdout, ["ID", "STATUS", "IMAGE", "DIGEST", "STARTED"],
                views.Select(v => new[] { v.Id, v.Status, v.Image, v.Digest is null ? "-" : v.Digest[..Math.Min(19, v.Digest.Length)], v.StartedAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "" }));
            return 0;
        }));
        deployment.Subcommands.Add(list);

        var id = new Argument<string>("ID") { Description = "Deployment id" };
        var showOutput = GlobalOptions.Output();
        var show = new Command("show", "One deployment: steps, per-node results, log") { id, showOutput };
        show.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var view = DeploymentView.From(await new Deployments.DeploymentsClient(leader.Channel).GetDeploymentAsync(new GetDeploymentRequest { Id = parse.GetValue(id)! }, leader.Call()));
            if (parse.GetValue(showOutput) == OutputFormat.Json)
            {
                Json.Write(stdout, view, JsonContext.Printing.DeploymentView);
                return 0;
            }

            await stdout.WriteLineAsync($"deployment {view.Id} of {view.App}: {view.Status}");
            await stdout.WriteLineAsync($"image:  {view.Image}{(view.Digest is null ? "" : "@" + view.Digest)}");
            if (view.Source is not null)
            {
                await stdout.WriteLineAsync($"source: {view.Source}{(view.Build?.Commit is { } commit ? " at " + commit : "")}{(view.SourceBytes is { } bytes ? $" ({Core.Builds.ContextStream.Size(bytes)} uploaded)" : "")}");
            }

            await stdout.WriteLineAsync($"trigger: {view.Trigger}{(view.PreviousDigest is null ? "" : $" (was {view.PreviousDigest})")}");
            foreach (var step in view.Steps)
            {
                await stdout.WriteLineAsync($"step {step.Name}: {step.Status}{(step.Error is null ? "" : ": " + step.Error)}");
            }

            if (view.Error is not null)
            {
                await stdout.WriteLineAsync($"error:  {view.Error}");
            }

            foreach (var node in view.Nodes)
            {
                await stdout.WriteLineAsync($"  {node.Node}: {node.Step} {node.Status}{(node.Error is null ? "" : ": " + node.Error)}");
            }

            if (view.Build is { Log.Count: > 0 } build)
            {
                await stdout.WriteLineAsync("build log:");
                foreach (var line in build.Log)
                {
                    await stdout.WriteLineAsync("  " + line);
                }
            }

            await stdout.WriteLineAsync("log:");
            foreach (var line in view.Log)
            {
                await stdout.WriteLineAsync("  " + line);
            }

            return 0;
        }));
        deployment.Subcommands.Add(show);
        deployment.Subcommands.Add(Cancel(stdout, stderr));
        return deployment;
    }

    private static Command Cancel(TextWriter stdout, TextWriter stderr)
    {
        var id = new Argument<string>("ID") { Description = "Deployment id (`clusterctl deployment list APP`)" };
        var output = GlobalOptions.Output();
        var command = new Command("cancel", "Stop a running deployment at its next safe point; the service is put back if it was already changed") { id, output };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var deploymentId = parse.GetValue(id)!;
            Deployment stopped;
            try
            {
                stopped = await new Deployments.DeploymentsClient(leader.Channel).CancelDeploymentAsync(new CancelDeploymentRequest { Id = deploymentId }, leader.Call(CancelDeadline));
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
            {
                throw new CliException($"the cancel of deployment {deploymentId} was requested but it had not stopped after {CancelDeadline.TotalMinutes:0} min; `clusterctl deployment show {deploymentId}` shows where it is");
            }

            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, DeploymentView.From(stopped), JsonContext.Printing.DeploymentView);
            }
            else
            {
                await stdout.WriteLineAsync($"deployment {stopped.Id} of {stopped.App}: {stopped.Status}{(string.IsNullOrEmpty(stopped.Error) ? "" : ": " + stopped.Error)}");
            }

            if (stopped.State == DeploymentState.Succeeded)
            {
                await stderr.WriteLineAsync($"clusterctl: deployment {stopped.Id} succeeded before the cancel could stop it; deploy the previous tag to go back");
                return 1;
            }

            return 0;
        }));
        return command;
    }
}
