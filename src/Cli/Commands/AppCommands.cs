using System.CommandLine;
using Cluster.Cli.Connection;
using Cluster.Cli.Output;
using Cluster.Core.Text;
using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Commands;

// `clusterctl app create|list|show|set|remove`.
internal static class AppCommands
{
    private const string ReplicasRange = "a number of tasks from 1 to 100";

    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var app = new Command("app", "Apps: what runs on the cluster");
        app.Subcommands.Add(Create(stdout, stderr));
        app.Subcommands.Add(List(stdout, stderr));
        app.Subcommands.Add(Show(stdout, stderr));
        app.Subcommands.Add(Set(stdout, stderr));
        app.Subcommands.Add(Remove(stdout, stderr));
        return app;
    }

    private static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var name = new Argument<string>("NAME") { Description = "App name (names its swarm service)" };
        var image = new Option<string?>("--image") { Description = "Image REF to deploy, e.g. ghcr.io/acme/web:1.0.6 (tag defaults to latest)" };
        var git = new Option<string?>("--git") { Description = "Git URL to build from" };
        var gitRef = new Option<string?>("--ref") { Description = "Git branch, tag or commit" };
        var dockerfile = new Option<string?>("--dockerfile") { Description = "Dockerfile path in the repository" };
        var registry = new Option<string?>("--registry") { Description = "Registry credential to pull with (default: the most specific stored match, else anonymous)" };
        var replicas = new Option<int>("--replicas") { Description = "Number of tasks", DefaultValueFactory = _ => 1, CustomParser = r => GlobalOptions.ParseWholeNumber(r, "--replicas", ReplicasRange) };
        var constraint = new Option<string[]>("--constraint") { Description = "Placement constraint, e.g. node.role==worker (repeatable)", AllowMultipleArgumentsPerToken = false };
        var env = new Option<string[]>("--env") { Description = "Environment variable K=V (repeatable)" };
        var publish = new Option<string[]>("--publish") { Description = "Published port PUB:TARGET (repeatable)" };
        var autoSync = new Option<bool>("--auto-sync") { Description = "Redeploy when the tag's digest changes in the registry, or (--git) when the branch gets a new commit (Auto-Deploy)" };
        var syncInterval = SyncIntervalOption();
        var fromDir = new Option<bool>("--from-dir") { Description = "Build from a folder sent with each deploy (`clusterctl deploy NAME --from-dir PATH`)" };
        var adopt = new Option<bool>("--adopt") { Description = "Take over the existing swarm service of this name (one not created by this cluster); the first deployment replaces its spec" };
        var build = BuildCommands.CreateOptions();
        var command = new Command("create", "Create an app from a registry image, a Git repository or a folder sent at deploy time") { name, image, git, fromDir, gitRef, dockerfile, registry, replicas, constraint, env, publish, autoSync, syncInterval, adopt };
        build.AddTo(command);
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var request = new CreateAppRequest
            {
                Name = parse.GetValue(name)!,
                Image = parse.GetValue(image) ?? "",
                GitUrl = parse.GetValue(git) ?? "",
                GitRef = parse.GetValue(gitRef) ?? "",
                Dockerfile = parse.GetValue(dockerfile) ?? "",
                Registry = parse.GetValue(registry) ?? "",
                Replicas = ValidReplicas(parse.GetValue(replicas)),
                AutoSync = parse.GetValue(autoSync),
                SyncIntervalSeconds = SyncSeconds(parse.GetValue(syncInterval)) ?? 0,
                Adopt = parse.GetValue(adopt),
                FromDir = parse.GetValue(fromDir),
            };
            build.Apply(parse, request);
            request.Constraints.AddRange(parse.GetValue(constraint) ?? []);
            request.Publish.AddRange(parse.GetValue(publish) ?? []);
            var position = 0;
            foreach (var kv in parse.GetValue(env) ?? [])
            {
                var (key, value) = KeyValueFlag.Parse("--env", ++position, kv, "LOG_LEVEL=debug");
                request.Env[key] = value;
            }

            var created = await new Apps.AppsClient(leader.Channel).CreateAppAsync(request, leader.Call());
            await stdout.WriteLineAsync(created.Source switch
            {
                "git" => $"app {created.Name} created (built from {created.GitUrl}{(created.GitRef.Length > 0 ? "@" + created.GitRef : "")}); build and deploy it with `clusterctl deploy {created.Name}`",
                "dir" => $"app {created.Name} created (built from a folder sent at deploy time); build and deploy it with `clusterctl deploy {created.Name} --from-dir PATH`",
                _ => $"app {created.Name} created ({created.Image}:{created.Tag}); deploy it with `clusterctl deploy {created.Name}`",
            });
            if (!string.IsNullOrEmpty(created.Adopting))
            {
                await stdout.WriteLineAsync($"adopting {created.Adopting}");
            }
            return 0;
        }));
        return command;
    }

    private static Command List(TextWriter stdout, TextWriter stderr)
    {
        var output = GlobalOptions.Output();
        var command = new Command("list", "List apps") { output };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var response = await new Apps.AppsClient(leader.Channel).ListAppsAsync(new ListAppsRequest(), leader.Call());
            var views = response.Apps.Select(AppView.From).ToList();
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, views, JsonContext.Printing.ListAppView);
                return 0;
            }

            Table.Write(stdout, ["NAME", "IMAGE", "TAG", "DIGEST", "REPLICAS", "AUTO-SYNC", "LAST CHECK"],
                views.Select(v => new[]
                {
                    v.Name, v.Image, v.Tag, v.Digest is null ? "(not deployed)" : v.Digest[..Math.Min(19, v.Digest.Length)], v.Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    v.AutoSync ? $"Auto-Deploy ({Durations.Format(TimeSpan.FromSeconds(v.AutoSyncInterval))})" : "off",
                    v.LastCheck is null ? "" : v.LastCheck.Result,
                }));
            return 0;
        }));
        return command;
    }

    private static Command Show(TextWriter stdout, TextWriter stderr)
    {
        var name = new Argument<string>("NAME");
        var output = GlobalOptions.Output();
        var command = new Command("show", "Show an app") { name, output };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var app = AppView.From(await new Apps.AppsClient(leader.Channel).GetAppAsync(new GetAppRequest { Name = parse.GetValue(name)! }, leader.Call()));
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, app, JsonContext.Printing.AppView);
                return 0;
            }

            await stdout.WriteLineAsync($"name:        {app.Name}");
            await stdout.WriteLineAsync($"source:      {app.Source switch { "dir" => $"dir (a folder sent with `clusterctl deploy {app.Name} --from-dir PATH`)", "git" => "git", _ => "image" }}");
            await stdout.WriteLineAsync($"image:       {app.Image}:{app.Tag}");
            await stdout.WriteLineAsync($"running:     {(app.RunningTag is null ? "(not deployed)" : $"{app.Image}:{app.RunningTag}")}");
            await stdout.WriteLineAsync($"digest:      {app.Digest ?? "(not deployed)"}");
            await stdout.WriteLineAsync($"registry:    {app.Registry ?? "(keyring match or anonymous)"}");
            await stdout.WriteLineAsync($"replicas:    {app.Replicas}");
            await stdout.WriteLineAsync($"constraints: {(app.Constraints.Count == 0 ? "(none)" : string.Join(", ", app.Constraints))}");
            await stdout.WriteLineAsync($"auto-sync:   {(app.AutoSync ? "Auto-Deploy: on" : "off")}, every {Durations.Format(TimeSpan.FromSeconds(app.AutoSyncInterval))}{(app.SyncInterval is null ? " (cluster default)" : "")}");
            await stdout.WriteLineAsync($"last deploy: {app.LastDeployment ?? "(none)"}");
            if (app.AutoSync)
            {
                var check = app.LastCheck;
                await stdout.WriteLineAsync($"last check:  {(check?.At is { } at ? at.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "(not yet)")}");
                await stdout.WriteLineAsync($"result:      {check?.Result ?? "pending"}{((check?.Digest ?? check?.Commit) is { } seen ? $" ({seen})" : "")}{(check?.Trigger is { } by ? $", by {by}" : "")}");
                await stdout.WriteLineAsync($"last error:  {check?.Error ?? "(none)"}");
                await stdout.WriteLineAsync($"next check:  {(app.NextCheck is { } next ? next.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "(not scheduled)")}");
            }

            return 0;
        }));
        return command;
    }

    private static Command Set(TextWriter stdout, TextWriter stderr)
    {
        var name = new Argument<string>("NAME");
        var tag = new Option<string?>("--tag") { Description = "Tag the next `deploy` uses" };
        var autoSync = new Option<string?>("--auto-sync") { Description = "on or off" };
        autoSync.AcceptOnlyFromAmong("on", "off");
        var replicas = new Option<int?>("--replicas") { Description = "Number of tasks (applied at the next deployment)", CustomParser = r => GlobalOptions.ParseWholeNumber(r, "--replicas", ReplicasRange) };
        var syncInterval = SyncIntervalOption();
        var command = new Command("set", "Change an app's tag, auto-sync, sync interval or replicas") { name, tag, autoSync, replicas, syncInterval };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var request = new UpdateAppRequest { Name = parse.GetValue(name)! };
            if (parse.GetValue(tag) is { } t)
            {
                request.Tag = t;
            }

            if (parse.GetValue(autoSync) is { } a)
            {
                request.AutoSync = a == "on";
            }

            if (parse.GetValue(replicas) is { } r)
            {
                request.Replicas = ValidReplicas(r);
            }

            if (SyncSeconds(parse.GetValue(syncInterval)) is { } seconds)
            {
                request.SyncIntervalSeconds = seconds;
            }

            var app = await new Apps.AppsClient(leader.Channel).UpdateAppAsync(request, leader.Call());
            await stdout.WriteLineAsync($"app {app.Name}: tag {app.Tag}, replicas {app.Replicas}, auto-sync {(app.AutoSync ? "on" : "off")} every {Durations.Format(TimeSpan.FromSeconds(app.AutoSyncIntervalSeconds))}");
            return 0;
        }));
        return command;
    }

    private static Option<string?> SyncIntervalOption()
    {
        var option = new Option<string?>("--sync-interval") { Description = "How often Auto-Sync checks the tag, e.g. 30s, 5m (minimum 5s; 0 = the cluster's interval)" };
        option.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string?>();
            if (text is not null && (!Durations.TryParse(text, out var d) || (d != TimeSpan.Zero && (d < TimeSpan.FromSeconds(5) || d > TimeSpan.FromDays(1)))))
            {
                r.AddError($"--sync-interval '{text}' must be a duration between 5s and 24h, like 30s or 5m (0 = the cluster's interval)");
            }
        });
        return option;
    }

    private static uint? SyncSeconds(string? text) =>
        text is not null && Durations.TryParse(text, out var d) ? (uint)Math.Ceiling(d.TotalSeconds) : null;

    private static Command Remove(TextWriter stdout, TextWriter stderr)
    {
        var name = new Argument<string>("NAME");
        var command = new Command("remove", "Remove an app and its swarm service") { name };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var removed = await new Apps.AppsClient(leader.Channel).RemoveAppAsync(new RemoveAppRequest { Name = parse.GetValue(name)! }, leader.Call(TimeSpan.FromSeconds(60)));
            await stdout.WriteLineAsync(string.IsNullOrEmpty(removed.Message) ? $"app {parse.GetValue(name)} removed" : removed.Message);
            return 0;
        }));
        return command;
    }

    // The wire field is unsigned: a negative count must be refused here, not wrapped or clamped
    // (it used to become 1 silently).
    private static uint ValidReplicas(int replicas) =>
        replicas is >= 1 and <= 100 ? (uint)replicas : throw new CliException($"--replicas {replicas} is out of range: give {ReplicasRange}");
}
