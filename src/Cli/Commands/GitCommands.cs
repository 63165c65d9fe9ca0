using System.CommandLine;
using Cluster.Cli.Connection;
using Cluster.Cli.Output;
using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Commands;

// `clusterctl git add|list|remove`: credentials for private Git repositories. The token is read
// from stdin only (--token-stdin), never from argv, and never printed.
internal static class GitCommands
{
    public static Command Build(TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var git = new Command("git", "Credentials for building from private Git repositories");

        var name = new Argument<string>("NAME") { Description = "Credential name, e.g. github-acme" };
        var url = new Option<string>("--url") { Description = "URL prefix the credential serves, e.g. https://github.com/acme/", Required = true };
        var username = new Option<string?>("--username") { Description = "User name for HTTPS (default x-access-token, as GitHub and GitLab tokens accept)" };
        var tokenStdin = new Option<bool>("--token-stdin") { Description = "Read the token from stdin (the only way to pass it)" };
        var add = new Command("add", "Store a Git credential (sealed; sent only to build servers)") { name, url, username, tokenStdin };
        add.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            if (!parse.GetValue(tokenStdin))
            {
                throw new CliException("the token is read from stdin only: printf '%s' \"$TOKEN\" | clusterctl git add NAME --url PREFIX --token-stdin (SSH deploy keys are not supported yet)");
            }

            var token = RegistryCommands.ReadPassword(true, stdin, required: true)!;
            var created = await new GitCredentials.GitCredentialsClient(leader.Channel).AddGitCredentialAsync(
                new AddGitCredentialRequest { Name = parse.GetValue(name)!, UrlPrefix = parse.GetValue(url)!, Username = parse.GetValue(username) ?? "", Token = token }, leader.Call());
            await stdout.WriteLineAsync($"git credential {created.Name} added for {created.UrlPrefix} (user {created.Username})");
            return 0;
        }));
        git.Subcommands.Add(add);

        var output = GlobalOptions.Output();
        var list = new Command("list", "List Git credentials (never their tokens)") { output };
        list.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var response = await new GitCredentials.GitCredentialsClient(leader.Channel).ListGitCredentialsAsync(new ListGitCredentialsRequest(), leader.Call());
            var views = response.Credentials.Select(c => new GitCredentialView(c.Name, c.UrlPrefix, c.Username, c.CreatedAt?.ToDateTimeOffset())).ToList();
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, views, JsonContext.Printing.ListGitCredentialView);
                return 0;
            }

            Table.Write(stdout, ["NAME", "URL", "USERNAME"], views.Select(v => new[] { v.Name, v.Url, v.Username }));
            return 0;
        }));
        git.Subcommands.Add(list);

        var removeName = new Argument<string>("NAME");
        var remove = new Command("remove", "Remove a Git credential (refused while an app uses it)") { removeName };
        remove.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            await new GitCredentials.GitCredentialsClient(leader.Channel).RemoveGitCredentialAsync(new RemoveGitCredentialRequest { Name = parse.GetValue(removeName)! }, leader.Call());
            await stdout.WriteLineAsync($"git credential {parse.GetValue(removeName)} removed");
            return 0;
        }));
        git.Subcommands.Add(remove);
        return git;
    }

    internal sealed record GitCredentialView(string Name, string Url, string Username, DateTimeOffset? CreatedAt);
}
