using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Cluster.Cli.Commands;

namespace Cluster.Cli;

// clusterctl's command tree (INTERFACE.md). Output goes through the writers given here so
// tests run the real command tree in-process and read exactly what a user would see.
public static partial class ClusterCtl
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, TextReader? stdin = null)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        // Nothing a leader relays (from agents, registries, engines) can drive the terminal.
        stdout = new Output.TerminalSafeWriter(stdout);
        stderr = new Output.TerminalSafeWriter(stderr);
        var root = Build(stdout, stderr, stdin ?? Console.In);
        try
        {
            var parse = root.Parse(args);
            if (parse.Action is ParseErrorAction)
            {
                await ReportParseErrorsAsync(parse, stderr);
                return 1;
            }

            return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            // A bug, not an expected failure (those are reported by LeaderCall); still one line.
            await stderr.WriteLineAsync($"clusterctl: internal error: {e.GetType().Name}: {e.Message}");
            return 70;
        }
    }

    // A command line clusterctl cannot run (unknown command or option, missing argument, a value
    // a flag refuses) is reported like every other clusterctl error: one line per problem on
    // stderr starting "clusterctl: ", then where to read the usage of the command concerned,
    // exit code 1 and nothing on stdout. (System.CommandLine's own report printed the errors
    // bare and the whole help text to stdout.) --help and -h are not errors: they print help.
    private static async Task ReportParseErrorsAsync(ParseResult parse, TextWriter stderr)
    {
        var hidden = SecretLookingTokens(parse.UnmatchedTokens);
        foreach (var error in parse.Errors)
        {
            // One line each: the library lists choices on lines of their own.
            var message = string.Join(' ', error.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            foreach (var (token, shown) in hidden)
            {
                message = message.Replace($"'{token}'", shown, StringComparison.Ordinal);
            }

            if (OptionOf(error.SymbolResult) is { } option && !message.Contains(option.Name, StringComparison.Ordinal))
            {
                message = $"{option.Name}: {message}";
            }

            // The parser quotes what the user typed as it is: escaped as Quoted escapes a refused
            // value, so a terminal escape or a carriage return is shown, not obeyed.
            await stderr.WriteLineAsync($"clusterctl: {Core.Text.Quoted.Escape(message)}");
        }

        await stderr.WriteLineAsync($"clusterctl: see `{CommandPath(parse.CommandResult)} --help` for its usage");
    }

    // Unmatched tokens that may be a secret typed on the command line (secrets are read from
    // stdin only): the value after an unknown option named like one (--password, --git-token,
    // --client-secret, --api-key) and the value of --NAME=VALUE. Each maps to what the error
    // shows instead: the option named, the value not.
    private static Dictionary<string, string> SecretLookingTokens(IReadOnlyList<string> unmatched)
    {
        var hidden = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < unmatched.Count; i++)
        {
            var token = unmatched[i];
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? token[..eq] : token;
            if (!name.StartsWith('-') || !SecretOptionName().IsMatch(name))
            {
                continue;
            }

            if (eq > 0)
            {
                hidden[token] = $"'{name}' (its value not shown: it may be a secret; secrets are read from stdin, see the command's -stdin flags)";
            }
            else if (i + 1 < unmatched.Count && !unmatched[i + 1].StartsWith('-'))
            {
                hidden[unmatched[i + 1]] = $"(the value after '{name}', not shown: it may be a secret; secrets are read from stdin, see the command's -stdin flags)";
            }
        }

        return hidden;
    }

    [System.Text.RegularExpressions.GeneratedRegex("(?i)pass|secret|token|key|credential|auth")]
    private static partial System.Text.RegularExpressions.Regex SecretOptionName();

    private static Option? OptionOf(SymbolResult? result)
    {
        for (; result is not null; result = result.Parent)
        {
            if (result is OptionResult option)
            {
                return option.Option;
            }
        }

        return null;
    }

    // "clusterctl app set": the root is named "clusterctl" whatever the executable is called.
    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? result = command; result is CommandResult { Parent: not null } c; result = c.Parent)
        {
            names.Add(c.Command.Name);
        }

        names.Add("clusterctl");
        names.Reverse();
        return string.Join(' ', names);
    }

    internal static RootCommand Build(TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var root = new RootCommand("clusterctl: administer a cluster through its leader's admin API");
        root.Options.Add(GlobalOptions.Leader);
        root.Options.Add(GlobalOptions.Token);
        root.Subcommands.Add(ImageCommands.Build(stdout, stderr));
        root.Subcommands.Add(RegistryCommands.Build(stdout, stderr, stdin));
        root.Subcommands.Add(ClusterCommands.Build(stdout, stderr));
        root.Subcommands.Add(NodeCommands.Build(stdout, stderr));
        root.Subcommands.Add(AppCommands.Build(stdout, stderr));
        root.Subcommands.Add(WebhookCommands.Build(stdout, stderr));
        root.Subcommands.Add(GitCommands.Build(stdout, stderr, stdin));
        foreach (var command in DeployCommands.Build(stdout, stderr))
        {
            root.Subcommands.Add(command);
        }
        return root;
    }
}
