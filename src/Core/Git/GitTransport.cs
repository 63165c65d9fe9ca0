namespace Cluster.Core.Git;

// How git reaches a remote; decides which kind of credential may serve it.
public enum GitTransport
{
    // https:// or http://: an HTTPS token.
    Http,

    // git:// (the git daemon): public, never a credential.
    Daemon,

    // ssh://, git+ssh:// or scp-like host:path: an SSH private key and pinned host keys.
    Ssh,
}
