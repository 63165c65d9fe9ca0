using System.CommandLine;
using Cluster.Cli.Output;
using Cluster.Core.Images;

namespace Cluster.Cli.Commands;

// `clusterctl image parse REF`: offline, no leader needed. Shows how the platform (and Docker)
// will read an image reference, and which registry provider serves it.
internal static class ImageCommands
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var reference = new Argument<string>("REF") { Description = "Image reference, e.g. nginx, ghcr.io/acme/web:1.0.7, host:5000/app@sha256:..." };
        var output = GlobalOptions.Output();
        var parse = new Command("parse", "Parse and normalize an image reference the way Docker does") { reference, output };
        parse.SetAction(result =>
        {
            var text = result.GetValue(reference)!;
            if (!ImageReference.TryParse(text, out var image, out var error))
            {
                stderr.WriteLine($"clusterctl: {error.Message}");
                return 1;
            }

            var view = new ImageView(image.Registry, image.Repository, image.Tag, image.Digest, image.Canonical,
                image.FamiliarName, RegistryProviders.CliName(image.Provider));
            if (result.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, view, JsonContext.Printing.ImageView);
            }
            else
            {
                stdout.WriteLine($"registry:   {view.Registry}");
                stdout.WriteLine($"repository: {view.Repository}");
                stdout.WriteLine($"tag:        {view.Tag ?? "(none)"}");
                stdout.WriteLine($"digest:     {view.Digest ?? "(none)"}");
                stdout.WriteLine($"canonical:  {view.Canonical}");
                stdout.WriteLine($"familiar:   {view.Familiar}");
                stdout.WriteLine($"provider:   {view.Provider}");
            }

            return 0;
        });
        return new Command("image", "Work with image references") { parse };
    }

    // INTERFACE.md: {"registry","repository","tag","digest","canonical"}; familiar and provider added.
    internal sealed record ImageView(string Registry, string Repository, string? Tag, string? Digest, string Canonical, string Familiar, string Provider);
}
