using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Leader.Storage;
using Docker.DotNet.Models;

namespace Cluster.Leader.Deployments;

// What the steps of one deployment know, filled in as they run: the pipeline sets the request,
// the app and the image to deploy; resolve (or a build) the digest and the login; place the
// nodes; rollout the service. One deployment runs its steps one after another, so the context
// needs no lock (the pre-pull step's parallel parts write only through the journal), except
// CancelledBy, which `deployment cancel` sets from another thread.
public sealed class DeploymentContext(DeploymentRequest request, AppRecord app, ImageReference image, DeploymentJournal journal)
{
    private string? _cancelledBy;

    public DeploymentRequest Request { get; } = request;

    public AppRecord App { get; } = app;

    public DeploymentJournal Journal { get; } = journal;

    // repo:tag to deploy. A build step may replace it with the image it pushed.
    public ImageReference Image { get; set; } = image;

    // The manifest digest to pin; set by resolve, or earlier by a step that produced the image.
    public string? Digest { get; set; }

    // The credential used on the leader (resolve, platforms); null for anonymous access.
    public RegistryLogin? Login { get; set; }

    public RegistryHost? Host { get; set; }

    // Name of that credential, for messages.
    public string? CredentialName { get; set; }

    // Every swarm node, and those the service may run on.
    public IReadOnlyList<SwarmNode> Nodes { get; set; } = [];

    public IReadOnlyList<SwarmNode> Targets { get; set; } = [];

    // The app's service before the rollout (null: it did not exist and the rollout created it).
    public SwarmService? PreviousService { get; set; }

    // The service as the rollout left it (its ID is what confirm watches).
    public SwarmService? Service { get; set; }

    // Set by the rollout just before it writes to the swarm: from then on the service may be on
    // the new spec, so stopping means putting it back (confirm does), not just stopping.
    public bool ServiceChanged { get; set; }

    // Who cancelled the deployment (the admin's actor, "admin@PEER"); null while nobody did. Set
    // before the deployment's token is cancelled, so a step that sees the token cancelled reads it.
    public string? CancelledBy => Volatile.Read(ref _cancelledBy);

    public string Tag => Image.Tag ?? "latest";

    // repo:tag@digest as a reference: what nodes pull (the digest decides).
    public ImageReference PinnedReference => Image.WithDigest(RequireDigest());

    // Builds: the build step kept the image in the single node's engine (registry-less). There
    // is no digest: resolve and pre-pull do not apply, and the service runs repo:tag, a tag
    // unique to the build.
    public bool LocalImage { get; set; }

    // The swarm node whose engine holds that local image (where the build ran).
    public string LocalImageNode { get; set; } = "";

    // repo:tag@digest: what the service runs, exactly.
    public string Pinned => LocalImage ? $"{Image.Name}:{Tag}" : $"{Image.Name}:{Tag}@{RequireDigest()}";

    private string RequireDigest() => Digest ?? throw new InvalidOperationException("no digest yet: a step before this one must resolve or produce it");

    // Records who cancelled; true for the first caller only (a second cancel changes nothing).
    internal bool MarkCancelled(string actor) => Interlocked.CompareExchange(ref _cancelledBy, actor, null) is null;
}
