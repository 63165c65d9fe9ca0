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
        var command = new Command("add", "Verify and store a registry credential, or declare a registry without one") { name, provider, url, username, passwordStdin, noVerify, insecure, pushOnly };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            // Neither --username nor --password-stdin: an entry without credentials, which
            // declares the registry (scope, --insecure) for anonymous pulls.
            var anonymous = parse.GetValue(username) is null && !parse.GetValue(passwordStdin);
            var password = anonymous ? "" : ReadPassword(parse.GetValue(passwordStdin), stdin, required: true)!;
            var client = new Registries.RegistriesClient(leader.Channel);
            var added = await client.AddRegistryAsync(new AddRegistryRequest
            {
                Name = parse.GetValue(name)!,
                Provider = parse.GetValue(provider)!,
                Url = parse.GetValue(url)!,
                Username = parse.GetValue(username) ?? "",
                Password = password,
                NoVerify = parse.GetValue(noVerify),
                Insecure = parse.GetValue(insecure),
                PushOnly = parse.GetValue(pushOnly),
                Anonymous = anonymous,
            }, leader.Call(VerifyDeadline));
            var what = anonymous ? ", no credentials: anonymous pulls" : "";
            await stdout.WriteLineAsync(added.Verified
                ? $"registry {added.Name} added ({added.Url}{what}, verified), revision {added.Revision}"
                : $"registry {added.Name} added ({added.Url}{what}, NOT verified: --no-verify), revision {added.Revision}");
            return 0;
        }));
        return command;
    }

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
                Json.Write(stdout, views);
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
                Json.Write(stdout, view);
                return 0;
            }

            await stdout.WriteLineAsync($"name:       {view.Name}");
            await stdout.WriteLineAsync($"provider:   {view.Provider}");
            await stdout.WriteLineAsync($"url:        {view.Url}{(registry.Insecure ? " (insecure)" : "")}");
            await stdout.WriteLineAsync($"username:   {(view.Username.Length == 0 ? "(none: anonymous pulls)" : view.Username)}");
            await stdout.WriteLineAsync($"verified:   {view.VerifiedAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "no"}");
            await stdout.WriteLineAsync($"revision:   {view.Revision}");
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
        var command = new Command("update", "Rotate a credential's username and/or password; verified before it replaces the old one") { name, username, passwordStdin, noVerify };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var request = new UpdateRegistryRequest { Name = parse.GetValue(name)!, NoVerify = parse.GetValue(noVerify) };
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
                Json.Write(stdout, new VerifyView(response.Ok, string.IsNullOrEmpty(response.Error) ? null : response.Error, RegistryDetailView.From(response.Registry)));
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
    private static string? ReadPassword(bool fromStdin, TextReader stdin, bool required)
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

    private sealed record VerifyView(bool Ok, string? Error, RegistryDetailView Registry);
}
