using System.CommandLine;
using Cluster.Cli.Connection;
using Cluster.Cli.Output;
using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Commands;

// `clusterctl registry add|list|show|update|verify|remove` (INTERFACE.md). Passwords are read
// from stdin only (--password-stdin), never from argv, and never printed.
internal static class RegistryCommands
{
    // Verification talks to the registry (and may wait out its timeouts), so it gets longer.
    private static readonly TimeSpan VerifyDeadline = TimeSpan.FromSeconds(90);

    public static Command Build(TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var registry = new Command("registry", "Manage registry credentials");
        registry.Subcommands.Add(Add(stdout, stderr, stdin));
        registry.Subcommands.Add(List(stdout, stderr));
        registry.Subcommands.Add(Show(stdout, stderr));
        registry.Subcommands.Add(Update(stdout, stderr, stdin));
        registry.Subcommands.Add(Verify(stdout, stderr));
        registry.Subcommands.Add(Remove(stdout, stderr));
        return registry;
    }

    private static Command Add(TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var name = NameArgument();
        var provider = new Option<string>("--provider") { Description = "dockerhub, ghcr, gitlab, ecr, acr, digitalocean, quay or generic", Required = true };
        var url = new Option<string>("--url") { Description = "Registry HOST[:PORT][/PATH] the credential serves, e.g. ghcr.io", Required = true };
        var username = new Option<string?>("--username") { Description = "Registry username (ECR: defaults to AWS); without --username and --password-stdin the entry has no credentials (anonymous pulls)" };
        var passwordStdin = PasswordStdin();
        var noVerify = new Option<bool>("--no-verify") { Description = "Store without checking against the registry (recorded as unverified)" };
        var insecure = new Option<bool>("--insecure") { Description = "Allow plain HTTP or an untrusted certificate for this registry" };
        var pushOnly = new Option<bool>("--push-only") { Description = "Only build servers use it, to push; node agents never receive it" };
        var (helper, helperEnvStdin, refreshEvery) = HelperOptions();
        var command = new Command("add", "Verify and store a registry credential, or declare a registry without one") { name, provider, url, username, passwordStdin, noVerify, insecure, pushOnly, helper, helperEnvStdin, refreshEvery };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var request = new AddRegistryRequest
            {
                Name = parse.GetValue(name)!,
                Provider = parse.GetValue(provider)!,
                Url = parse.GetValue(url)!,
                Username = parse.GetValue(username) ?? "",
                NoVerify = parse.GetValue(noVerify),
                Insecure = parse.GetValue(insecure),
                PushOnly = parse.GetValue(pushOnly),
            };
            var anonymous = false;
            if (!AddHelperSettings(parse, request, helper, helperEnvStdin, refreshEvery, passwordStdin, stdin))
            {
                // Neither --username nor --password-stdin (nor --helper): an entry without
                // credentials, which declares the registry (scope, --insecure) for anonymous pulls.
                anonymous = parse.GetValue(username) is null && !parse.GetValue(passwordStdin);
                request.Anonymous = anonymous;
                request.Password = anonymous ? "" : ReadPassword(parse.GetValue(passwordStdin), stdin, required: true)!;
            }

            var client = new Registries.RegistriesClient(leader.Channel);
            var added = await client.AddRegistryAsync(request, leader.Call(VerifyDeadline));
            var what = anonymous ? ", no credentials: anonymous pulls" : "";
            await stdout.WriteLineAsync(added.Verified
                ? $"registry {added.Name} added ({added.Url}{what}, verified), revision {added.Revision}"
                : $"registry {added.Name} added ({added.Url}{what}, NOT verified: --no-verify), revision {added.Revision}");
            if (added.Helper.Length > 0)
            {
                await stdout.WriteLineAsync($"token from docker-credential-{added.Helper}: expires {Time(added.ExpiresAt)}, next refresh {Time(added.NextRefresh)}");
            }

            if (added.Notice.Length > 0)
            {
                await stdout.WriteLineAsync($"note: {added.Notice}");
            }

            return 0;
        }));
        return command;
    }

    // --helper, --helper-env-stdin, --refresh-every (issue #12; INTERFACE.md).
    private static (Option<string?> Helper, Option<bool> EnvStdin, Option<string?> RefreshEvery) HelperOptions() =>
        (new Option<string?>("--helper") { Description = "Get the secret from docker-credential-HELPER on the leader (e.g. ecr-login), refreshed before it expires" },
         new Option<bool>("--helper-env-stdin") { Description = "Read the helper's environment (KEY=VALUE lines, e.g. AWS_ACCESS_KEY_ID=...) from stdin; stored sealed" },
         new Option<string?>("--refresh-every") { Description = "Run the helper this often (e.g. 6h, 30s; minimum 2s) instead of at half the token's life" });

    // Fills the helper fields of an add request; false when no --helper was given (a static
    // credential). The helper's environment, like a password, comes only from stdin.
    private static bool AddHelperSettings(ParseResult parse, AddRegistryRequest request, Option<string?> helper, Option<bool> envStdin, Option<string?> refreshEvery, Option<bool> passwordStdin, TextReader stdin)
    {
        if (parse.GetValue(helper) is not { Length: > 0 } name)
        {
            if (parse.GetValue(envStdin) || parse.GetValue(refreshEvery) is not null)
            {
                throw new CliException("--helper-env-stdin and --refresh-every need --helper (e.g. --helper ecr-login)");
            }

            return false;
        }

        if (parse.GetValue(passwordStdin))
        {
            throw new CliException($"--helper {name} gets the secret from docker-credential-{name}: leave out --password-stdin (the helper's own settings go in --helper-env-stdin)");
        }

        request.Helper = name;
        if (parse.GetValue(envStdin))
        {
            request.HelperEnv = stdin.ReadToEnd();
        }

        if (parse.GetValue(refreshEvery) is { } every)
        {
            request.RefreshEverySeconds = RefreshSeconds(every);
        }

        return true;
    }

    private static uint RefreshSeconds(string text)
    {
        if (!Cluster.Core.Text.Durations.TryParse(text, out var every))
        {
            throw new CliException($"--refresh-every '{text}' is not a duration: use e.g. 30s, 5m, 12h or 1h30m");
        }

        if (every < TimeSpan.FromSeconds(2) || every > TimeSpan.FromDays(30))
        {
            throw new CliException($"--refresh-every '{text}' must be between 2s and 30d");
        }

        return (uint)Math.Ceiling(every.TotalSeconds);
    }

    private static string Time(Google.Protobuf.WellKnownTypes.Timestamp? at) =>
        at is null ? "-" : at.ToDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture);

    private static Command List(TextWriter stdout, TextWriter stderr)
    {
        var output = GlobalOptions.Output();
        var command = new Command("list", "List registry credentials (never their secrets)") { output };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var response = await new Registries.RegistriesClient(leader.Channel).ListRegistriesAsync(new ListRegistriesRequest(), leader.Call());
            var views = response.Registries.Select(RegistryView.From).ToList();
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, views, JsonContext.Printing.ListRegistryView);
                return 0;
            }

            Table.Write(stdout, ["NAME", "PROVIDER", "URL", "USERNAME", "VERIFIED", "REVISION"],
                views.Select(v => new[] { v.Name, v.Provider, v.Url, v.Username, v.VerifiedAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "no", v.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            return 0;
        }));
        return command;
    }

    private static Command Show(TextWriter stdout, TextWriter stderr)
    {
        var name = NameArgument();
        var output = GlobalOptions.Output();
        var command = new Command("show", "Show one credential and each node's own check of it") { name, output };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var registry = await new Registries.RegistriesClient(leader.Channel).GetRegistryAsync(new GetRegistryRequest { Name = parse.GetValue(name)! }, leader.Call());
            var view = RegistryDetailView.From(registry);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, view, JsonContext.Printing.RegistryDetailView);
                return 0;
            }

            await stdout.WriteLineAsync($"name:       {view.Name}");
            await stdout.WriteLineAsync($"provider:   {view.Provider}");
            await stdout.WriteLineAsync($"url:        {view.Url}{(registry.Insecure ? " (insecure)" : "")}");
            await stdout.WriteLineAsync($"username:   {(view.Username.Length == 0 ? "(none: anonymous pulls)" : view.Username)}");
            await stdout.WriteLineAsync($"verified:   {view.VerifiedAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "no"}");
            await stdout.WriteLineAsync($"revision:   {view.Revision}");
            if (view.Helper is not null)
            {
                await stdout.WriteLineAsync($"helper:     docker-credential-{view.Helper}{(registry.HelperEnv ? " (with a sealed environment)" : "")}");
                await stdout.WriteLineAsync($"expires:    {Time(registry.ExpiresAt)}");
                await stdout.WriteLineAsync($"next refresh: {Time(registry.NextRefresh)}{(registry.RefreshEverySeconds > 0 ? $" (every {registry.RefreshEverySeconds} s)" : " (at half the token's life)")}");
                await stdout.WriteLineAsync($"last refresh: {Time(registry.LastRefreshAt)}");
                if (view.LastRefreshError is not null)
                {
                    await stdout.WriteLineAsync($"last refresh error: {view.LastRefreshError}");
                }
            }

            await stdout.WriteLineAsync("nodes:");
            if (view.Nodes.Count == 0)
            {
                await stdout.WriteLineAsync("  (no node has reported a check yet)");
            }

            foreach (var node in view.Nodes)
            {
                await stdout.WriteLineAsync($"  {node.Node}: {node.Status}{(string.IsNullOrEmpty(node.Error) ? "" : ": " + node.Error)}");
            }

            return 0;
        }));
        return command;
    }

    private static Command Update(TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var name = NameArgument();
        var username = new Option<string?>("--username") { Description = "New username" };
        var passwordStdin = PasswordStdin();
        var noVerify = new Option<bool>("--no-verify") { Description = "Store without checking against the registry" };
        var (_, helperEnvStdin, refreshEvery) = HelperOptions();
        var command = new Command("update", "Rotate a credential's username and/or password; verified before it replaces the old one") { name, username, passwordStdin, noVerify, helperEnvStdin, refreshEvery };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var request = new UpdateRegistryRequest { Name = parse.GetValue(name)!, NoVerify = parse.GetValue(noVerify) };
            if (parse.GetValue(helperEnvStdin))
            {
                if (parse.GetValue(passwordStdin))
                {
                    throw new CliException("stdin holds either the password (--password-stdin) or the helper's environment (--helper-env-stdin), not both");
                }

                request.HelperEnv = stdin.ReadToEnd();
            }

            if (parse.GetValue(refreshEvery) is { } every)
            {
                request.RefreshEverySeconds = RefreshSeconds(every);
            }

            if (parse.GetValue(username) is { } u)
            {
                request.Username = u;
            }

            if (ReadPassword(parse.GetValue(passwordStdin), stdin, required: false) is { } password)
            {
                request.Password = password;
            }

            var updated = await new Registries.RegistriesClient(leader.Channel).UpdateRegistryAsync(request, leader.Call(VerifyDeadline));
            await stdout.WriteLineAsync($"registry {updated.Name} updated{(updated.Verified ? " (verified)" : " (NOT verified)")}, revision {updated.Revision}");
            return 0;
        }));
        return command;
    }

    private static Command Verify(TextWriter stdout, TextWriter stderr)
    {
        var name = NameArgument();
        var output = GlobalOptions.Output();
        var command = new Command("verify", "Check a stored credential against its registry now") { name, output };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var response = await new Registries.RegistriesClient(leader.Channel).VerifyRegistryAsync(new VerifyRegistryRequest { Name = parse.GetValue(name)! }, leader.Call(VerifyDeadline));
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, new VerifyView(response.Ok, string.IsNullOrEmpty(response.Error) ? null : response.Error, RegistryDetailView.From(response.Registry)), JsonContext.Printing.VerifyView);
            }
            else if (response.Ok)
            {
                await stdout.WriteLineAsync($"registry {response.Registry.Name}: ok ({response.Registry.Url})");
            }

            if (!response.Ok)
            {
                await stderr.WriteLineAsync($"clusterctl: registry {response.Registry.Name}: {response.Error}");
                return 1;
            }

            return 0;
        }));
        return command;
    }

    private static Command Remove(TextWriter stdout, TextWriter stderr)
    {
        var name = NameArgument();
        var force = new Option<bool>("--force") { Description = "Remove even if apps use it" };
        var command = new Command("remove", "Remove a credential (refused while apps use it, unless --force)") { name, force };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var response = await new Registries.RegistriesClient(leader.Channel).RemoveRegistryAsync(
                new RemoveRegistryRequest { Name = parse.GetValue(name)!, Force = parse.GetValue(force) }, leader.Call());
            await stdout.WriteLineAsync($"registry {parse.GetValue(name)} removed, revision {response.Revision}");
            return 0;
        }));
        return command;
    }

    private static Argument<string> NameArgument() => new("NAME") { Description = "Credential name, e.g. ghcr-acme" };

    private static Option<bool> PasswordStdin() => new("--password-stdin") { Description = "Read the password or token from stdin (the only way to pass it)" };

    // The secret comes only from stdin.
    internal static string? ReadPassword(bool fromStdin, TextReader stdin, bool required)
    {
        if (!fromStdin)
        {
            return required
                ? throw new CliException("a password is required and is read from stdin only: printf '%s' \"$TOKEN\" | clusterctl registry add ... --password-stdin")
                : null;
        }

        return StripOneNewline(stdin.ReadToEnd());
    }

    // Exactly what `docker login --password-stdin` removes: one trailing "\n", then one "\r"
    // before it. Anything else (a second newline, spaces) is part of the secret, so a token that
    // really ends in them still works, and a pipe that adds more is visible as a wrong password.
    internal static string StripOneNewline(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.EndsWith('\n'))
        {
            text = text[..^1];
            if (text.EndsWith('\r'))
            {
                text = text[..^1];
            }
        }

        return text;
    }

    internal sealed record VerifyView(bool Ok, string? Error, RegistryDetailView Registry);
}
