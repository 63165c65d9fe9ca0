using Cluster.Core.Images;

namespace Cluster.Core.Tests.Images;

// Reference cases ported from github.com/distribution/reference v0.6.0 (reference_test.go,
// normalize_test.go, regexp_test.go) and opencontainers/go-digest v1.0.0 (digest_test.go), plus our
// own. Every input goes through ParseNormalizedNamed semantics (the docker CLI's parser, minus the
// implicit ":latest"). The expected registry/path/tag/digest/String()/FamiliarName of every valid
// case, and the verdict of every invalid case, were produced by running that Go code itself; the
// trailing comment on an invalid case is Docker's own error text. The error kind is ours: Docker's
// message is usually just "invalid reference format".
public static class ImageReferenceCases
{
    // input, registry, repository, tag, digest, canonical (Docker's String()), FamiliarName
    public static TheoryData<string, string, string, string?, string?, string, string> Valid => new()
    {
        // reference_test.go TestReferenceParse
        { "test_com", "docker.io", "library/test_com", null, null, "docker.io/library/test_com", "test_com" },
        { "test.com:tag", "docker.io", "library/test.com", "tag", null, "docker.io/library/test.com:tag", "test.com" },
        { "test.com:5000", "docker.io", "library/test.com", "5000", null, "docker.io/library/test.com:5000", "test.com" },
        { "test.com/repo:tag", "test.com", "repo", "tag", null, "test.com/repo:tag", "test.com/repo" },
        { "test:5000/repo", "test:5000", "repo", null, null, "test:5000/repo", "test:5000/repo" },
        { "test:5000/repo:tag", "test:5000", "repo", "tag", null, "test:5000/repo:tag", "test:5000/repo" },
        { "test:5000/repo@sha256:" + Repeat("f", 64), "test:5000", "repo", null, "sha256:" + Repeat("f", 64), "test:5000/repo@sha256:" + Repeat("f", 64), "test:5000/repo" },
        { "test:5000/repo:tag@sha256:" + Repeat("f", 64), "test:5000", "repo", "tag", "sha256:" + Repeat("f", 64), "test:5000/repo:tag@sha256:" + Repeat("f", 64), "test:5000/repo" },
        { "validname@sha512:" + Repeat("f", 128), "docker.io", "library/validname", null, "sha512:" + Repeat("f", 128), "docker.io/library/validname@sha512:" + Repeat("f", 128), "validname" },
        { "Uppercase/lowercase:tag", "Uppercase", "lowercase", "tag", null, "Uppercase/lowercase:tag", "Uppercase/lowercase" },
        { "lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", null, "docker.io/library/lowercase:Uppercase", "lowercase" },
        { Repeat("a/", 127) + "a:tag-puts-this-over-max", "docker.io", Repeat("a/", 127) + "a", "tag-puts-this-over-max", null, "docker.io" + Repeat("/a", 128) + ":tag-puts-this-over-max", Repeat("a/", 127) + "a" },
        { "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", null, null, "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com/bar/baz/quux" },
        { "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", null, "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux" },
        { "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", "test.example.com", null, "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app" },
        { "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", null, "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage" },
        { "xn--7o8h.com/myimage:xn--7o8h.com@sha256:" + Repeat("f", 64), "xn--7o8h.com", "myimage", "xn--7o8h.com", "sha256:" + Repeat("f", 64), "xn--7o8h.com/myimage:xn--7o8h.com@sha256:" + Repeat("f", 64), "xn--7o8h.com/myimage" },
        { "foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", null, "docker.io/library/foo_bar.com:8080", "foo_bar.com" },
        { "foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", null, "docker.io/foo/foo_bar.com:8080", "foo/foo_bar.com" },
        { "192.168.1.1", "docker.io", "library/192.168.1.1", null, null, "docker.io/library/192.168.1.1", "192.168.1.1" },
        { "192.168.1.1:tag", "docker.io", "library/192.168.1.1", "tag", null, "docker.io/library/192.168.1.1:tag", "192.168.1.1" },
        { "192.168.1.1:5000", "docker.io", "library/192.168.1.1", "5000", null, "docker.io/library/192.168.1.1:5000", "192.168.1.1" },
        { "192.168.1.1/repo", "192.168.1.1", "repo", null, null, "192.168.1.1/repo", "192.168.1.1/repo" },
        { "192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", null, null, "192.168.1.1:5000/repo", "192.168.1.1:5000/repo" },
        { "192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", null, "192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo" },
        { "[2001:db8::1]/repo", "[2001:db8::1]", "repo", null, null, "[2001:db8::1]/repo", "[2001:db8::1]/repo" },
        { "[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", null, "[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo" },
        { "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", null, null, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000/repo" },
        { "[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", null, "[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo" },
        { "[2001:db8::1]:5000/repo@sha256:" + Repeat("f", 64), "[2001:db8::1]:5000", "repo", null, "sha256:" + Repeat("f", 64), "[2001:db8::1]:5000/repo@sha256:" + Repeat("f", 64), "[2001:db8::1]:5000/repo" },
        { "[2001:db8::1]:5000/repo:tag@sha256:" + Repeat("f", 64), "[2001:db8::1]:5000", "repo", "tag", "sha256:" + Repeat("f", 64), "[2001:db8::1]:5000/repo:tag@sha256:" + Repeat("f", 64), "[2001:db8::1]:5000/repo" },
        { "[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", null, null, "[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo" },
        { "[::1]:5000/repo", "[::1]:5000", "repo", null, null, "[::1]:5000/repo", "[::1]:5000/repo" },
        { "example.com/" + Repeat("a", 255) + ":tag", "example.com", Repeat("a", 255), "tag", null, "example.com/" + Repeat("a", 255) + ":tag", "example.com/" + Repeat("a", 255) },
        // reference_test.go TestWithNameFailure / TestDomainAndPath / TestSerialization / TestParseNamed
        { "example.com/repo:tag", "example.com", "repo", "tag", null, "example.com/repo:tag", "example.com/repo" },
        { "test.com/foo", "test.com", "foo", null, null, "test.com/foo", "test.com/foo" },
        { "test_com/foo", "docker.io", "test_com/foo", null, null, "docker.io/test_com/foo", "test_com/foo" },
        { "test:8080/foo", "test:8080", "foo", null, null, "test:8080/foo", "test:8080/foo" },
        { "test.com:8080/foo", "test.com:8080", "foo", null, null, "test.com:8080/foo", "test.com:8080/foo" },
        { "test-com:8080/foo", "test-com:8080", "foo", null, null, "test-com:8080/foo", "test-com:8080/foo" },
        { "xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", null, null, "xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo" },
        { "example.com:8000/named", "example.com:8000", "named", null, null, "example.com:8000/named", "example.com:8000/named" },
        { "example.com:8000/named:tagged", "example.com:8000", "named", "tagged", null, "example.com:8000/named:tagged", "example.com:8000/named" },
        { "other.com/named@sha256:1234567890098765432112345667890098765432112345667890098765432112", "other.com", "named", null, "sha256:1234567890098765432112345667890098765432112345667890098765432112", "other.com/named@sha256:1234567890098765432112345667890098765432112345667890098765432112", "other.com/named" },
        { "test.com", "docker.io", "library/test.com", null, null, "docker.io/library/test.com", "test.com" },
        { "foo", "docker.io", "library/foo", null, null, "docker.io/library/foo", "foo" },
        { "library/foo", "docker.io", "library/foo", null, null, "docker.io/library/foo", "foo" },
        { "docker.io/library/foo", "docker.io", "library/foo", null, null, "docker.io/library/foo", "foo" },
        { "docker.io/foo", "docker.io", "library/foo", null, null, "docker.io/library/foo", "foo" },
        // normalize_test.go TestValidateReferenceName
        { "docker/docker", "docker.io", "docker/docker", null, null, "docker.io/docker/docker", "docker/docker" },
        { "library/debian", "docker.io", "library/debian", null, null, "docker.io/library/debian", "debian" },
        { "debian", "docker.io", "library/debian", null, null, "docker.io/library/debian", "debian" },
        { "localhost/library/debian", "localhost", "library/debian", null, null, "localhost/library/debian", "localhost/library/debian" },
        { "localhost/debian", "localhost", "debian", null, null, "localhost/debian", "localhost/debian" },
        { "LOCALDOMAIN/library/debian", "LOCALDOMAIN", "library/debian", null, null, "LOCALDOMAIN/library/debian", "LOCALDOMAIN/library/debian" },
        { "LOCALDOMAIN/debian", "LOCALDOMAIN", "debian", null, null, "LOCALDOMAIN/debian", "LOCALDOMAIN/debian" },
        { "docker.io/docker/docker", "docker.io", "docker/docker", null, null, "docker.io/docker/docker", "docker/docker" },
        { "docker.io/library/debian", "docker.io", "library/debian", null, null, "docker.io/library/debian", "debian" },
        { "docker.io/debian", "docker.io", "library/debian", null, null, "docker.io/library/debian", "debian" },
        { "index.docker.io/docker/docker", "docker.io", "docker/docker", null, null, "docker.io/docker/docker", "docker/docker" },
        { "index.docker.io/library/debian", "docker.io", "library/debian", null, null, "docker.io/library/debian", "debian" },
        { "index.docker.io/debian", "docker.io", "library/debian", null, null, "docker.io/library/debian", "debian" },
        { "127.0.0.1:5000/docker/docker", "127.0.0.1:5000", "docker/docker", null, null, "127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker" },
        { "127.0.0.1:5000/library/debian", "127.0.0.1:5000", "library/debian", null, null, "127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian" },
        { "127.0.0.1:5000/debian", "127.0.0.1:5000", "debian", null, null, "127.0.0.1:5000/debian", "127.0.0.1:5000/debian" },
        { "192.168.0.1", "docker.io", "library/192.168.0.1", null, null, "docker.io/library/192.168.0.1", "192.168.0.1" },
        { "192.168.0.1:80", "docker.io", "library/192.168.0.1", "80", null, "docker.io/library/192.168.0.1:80", "192.168.0.1" },
        { "192.168.0.1:8/debian", "192.168.0.1:8", "debian", null, null, "192.168.0.1:8/debian", "192.168.0.1:8/debian" },
        { "192.168.0.2:25000/debian", "192.168.0.2:25000", "debian", null, null, "192.168.0.2:25000/debian", "192.168.0.2:25000/debian" },
        { "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "docker.io", "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", null, null, "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev" },
        { "[fc00::1]:5000/docker", "[fc00::1]:5000", "docker", null, null, "[fc00::1]:5000/docker", "[fc00::1]:5000/docker" },
        { "[fc00::1]:5000/docker/docker", "[fc00::1]:5000", "docker/docker", null, null, "[fc00::1]:5000/docker/docker", "[fc00::1]:5000/docker/docker" },
        { "[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000", "library/debian", null, null, "[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000/library/debian" },
        { "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "docker.io", "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", null, null, "docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a" },
        { "Docker/docker", "Docker", "docker", null, null, "Docker/docker", "Docker/docker" },
        { "DOCKER/docker", "DOCKER", "docker", null, null, "DOCKER/docker", "DOCKER/docker" },
        // normalize_test.go TestValidateRemoteName
        { "docker-rules/docker", "docker.io", "docker-rules/docker", null, null, "docker.io/docker-rules/docker", "docker-rules/docker" },
        { "docker---rules/docker", "docker.io", "docker---rules/docker", null, null, "docker.io/docker---rules/docker", "docker---rules/docker" },
        { "doc/docker", "docker.io", "doc/docker", null, null, "docker.io/doc/docker", "doc/docker" },
        { "d/docker", "docker.io", "d/docker", null, null, "docker.io/d/docker", "d/docker" },
        { "jess/t", "docker.io", "jess/t", null, null, "docker.io/jess/t", "jess/t" },
        { "dock__er/docker", "docker.io", "dock__er/docker", null, null, "docker.io/dock__er/docker", "dock__er/docker" },
        // normalize_test.go TestParseRepositoryInfo
        { "localhost/fooo", "localhost", "fooo", null, null, "localhost/fooo", "localhost/fooo" },
        { "localhost/fooo/bar", "localhost", "fooo/bar", null, null, "localhost/fooo/bar", "localhost/fooo/bar" },
        { "LOCALDOMAIN/fooo", "LOCALDOMAIN", "fooo", null, null, "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo" },
        { "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN", "fooo/bar", null, null, "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar" },
        { "fooo/bar", "docker.io", "fooo/bar", null, null, "docker.io/fooo/bar", "fooo/bar" },
        { "docker.io/fooo/bar", "docker.io", "fooo/bar", null, null, "docker.io/fooo/bar", "fooo/bar" },
        { "index.docker.io/fooo/bar", "docker.io", "fooo/bar", null, null, "docker.io/fooo/bar", "fooo/bar" },
        { "ubuntu", "docker.io", "library/ubuntu", null, null, "docker.io/library/ubuntu", "ubuntu" },
        { "docker.io/library/ubuntu", "docker.io", "library/ubuntu", null, null, "docker.io/library/ubuntu", "ubuntu" },
        { "library/ubuntu", "docker.io", "library/ubuntu", null, null, "docker.io/library/ubuntu", "ubuntu" },
        { "nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu", null, null, "docker.io/nonlibrary/ubuntu", "nonlibrary/ubuntu" },
        { "docker.io/nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu", null, null, "docker.io/nonlibrary/ubuntu", "nonlibrary/ubuntu" },
        { "other/library", "docker.io", "other/library", null, null, "docker.io/other/library", "other/library" },
        { "docker.io/other/library", "docker.io", "other/library", null, null, "docker.io/other/library", "other/library" },
        { "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000", "private/moonbase", null, null, "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase" },
        { "127.0.0.1:8000/privatebase", "127.0.0.1:8000", "privatebase", null, null, "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase" },
        { "example.com/private/moonbase", "example.com", "private/moonbase", null, null, "example.com/private/moonbase", "example.com/private/moonbase" },
        { "example.com/privatebase", "example.com", "privatebase", null, null, "example.com/privatebase", "example.com/privatebase" },
        { "example.com:8000/private/moonbase", "example.com:8000", "private/moonbase", null, null, "example.com:8000/private/moonbase", "example.com:8000/private/moonbase" },
        { "example.com:8000/privatebasee", "example.com:8000", "privatebasee", null, null, "example.com:8000/privatebasee", "example.com:8000/privatebasee" },
        { "ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base", null, null, "docker.io/library/ubuntu-12.04-base", "ubuntu-12.04-base" },
        { "docker.io/library/ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base", null, null, "docker.io/library/ubuntu-12.04-base", "ubuntu-12.04-base" },
        { "index.docker.io/library/ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base", null, null, "docker.io/library/ubuntu-12.04-base", "ubuntu-12.04-base" },
        { "library/foo/bar", "docker.io", "library/foo/bar", null, null, "docker.io/library/foo/bar", "library/foo/bar" },
        { "docker.io/library/foo/bar", "docker.io", "library/foo/bar", null, null, "docker.io/library/foo/bar", "library/foo/bar" },
        { "store/foo/bar", "docker.io", "store/foo/bar", null, null, "docker.io/store/foo/bar", "store/foo/bar" },
        { "docker.io/store/foo/bar", "docker.io", "store/foo/bar", null, null, "docker.io/store/foo/bar", "store/foo/bar" },
        { "Foo/bar", "Foo", "bar", null, null, "Foo/bar", "Foo/bar" },
        { "FOO/bar", "FOO", "bar", null, null, "FOO/bar", "FOO/bar" },
        // normalize_test.go TestParseReferenceWithTagAndDigest / TestParseAnyReference / TestParseDockerRef
        { "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa", "docker.io", "library/busybox", "latest", "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa", "docker.io/library/busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa", "busybox" },
        { "redis", "docker.io", "library/redis", null, null, "docker.io/library/redis", "redis" },
        { "redis:latest", "docker.io", "library/redis", "latest", null, "docker.io/library/redis:latest", "redis" },
        { "docker.io/library/redis:latest", "docker.io", "library/redis", "latest", null, "docker.io/library/redis:latest", "redis" },
        { "redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io", "library/redis", null, "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io/library/redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "redis" },
        { "docker.io/library/redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io", "library/redis", null, "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io/library/redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "redis" },
        { "dmcgowan/myapp", "docker.io", "dmcgowan/myapp", null, null, "docker.io/dmcgowan/myapp", "dmcgowan/myapp" },
        { "dmcgowan/myapp:latest", "docker.io", "dmcgowan/myapp", "latest", null, "docker.io/dmcgowan/myapp:latest", "dmcgowan/myapp" },
        { "docker.io/mcgowan/myapp:latest", "docker.io", "mcgowan/myapp", "latest", null, "docker.io/mcgowan/myapp:latest", "mcgowan/myapp" },
        { "dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io", "dmcgowan/myapp", null, "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io/dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "dmcgowan/myapp" },
        { "docker.io/dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io", "dmcgowan/myapp", null, "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io/dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "dmcgowan/myapp" },
        { "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io", "library/sha256", "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", null, "docker.io/library/sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "sha256" },
        { "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "docker.io", "library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", null, null, "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9" },
        { "dbcc1", "docker.io", "library/dbcc1", null, null, "docker.io/library/dbcc1", "dbcc1" },
        { "busybox", "docker.io", "library/busybox", null, null, "docker.io/library/busybox", "busybox" },
        { "busybox:latest", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest", "busybox" },
        { "busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582", "docker.io", "library/busybox", null, "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582", "docker.io/library/busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582", "busybox" },
        { "library/busybox", "docker.io", "library/busybox", null, null, "docker.io/library/busybox", "busybox" },
        { "docker.io/busybox", "docker.io", "library/busybox", null, null, "docker.io/library/busybox", "busybox" },
        { "docker.io/library/busybox", "docker.io", "library/busybox", null, null, "docker.io/library/busybox", "busybox" },
        { "docker.io/busybox:latest", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest", "busybox" },
        { "library/busybox:latest", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest", "busybox" },
        { "docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest", "busybox" },
        { "gcr.io/library/busybox", "gcr.io", "library/busybox", null, null, "gcr.io/library/busybox", "gcr.io/library/busybox" },
        { "gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582", "gcr.io", "library/busybox", "latest", "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582", "gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582", "gcr.io/library/busybox" },
        { "foo/c/baz:tag", "docker.io", "foo/c/baz", "tag", null, "docker.io/foo/c/baz:tag", "foo/c/baz" },
        { "example.com/foo/c/baz:tag", "example.com", "foo/c/baz", "tag", null, "example.com/foo/c/baz:tag", "example.com/foo/c/baz" },
        // regexp_test.go TestDomainRegexp (as <domain>/foo)
        { "test.com:10304/foo", "test.com:10304", "foo", null, null, "test.com:10304/foo", "test.com:10304/foo" },
        { "localhost/foo", "localhost", "foo", null, null, "localhost/foo", "localhost/foo" },
        { "localhost:8080/foo", "localhost:8080", "foo", null, null, "localhost:8080/foo", "localhost:8080/foo" },
        { "a/foo", "docker.io", "a/foo", null, null, "docker.io/a/foo", "a/foo" },
        { "a.b/foo", "a.b", "foo", null, null, "a.b/foo", "a.b/foo" },
        { "ab.cd.com/foo", "ab.cd.com", "foo", null, null, "ab.cd.com/foo", "ab.cd.com/foo" },
        { "a-b.com/foo", "a-b.com", "foo", null, null, "a-b.com/foo", "a-b.com/foo" },
        { "ab.c-om/foo", "ab.c-om", "foo", null, null, "ab.c-om/foo", "ab.c-om/foo" },
        { "0101.com/foo", "0101.com", "foo", null, null, "0101.com/foo", "0101.com/foo" },
        { "001a.com/foo", "001a.com", "foo", null, null, "001a.com/foo", "001a.com/foo" },
        { "b.gbc.io:443/foo", "b.gbc.io:443", "foo", null, null, "b.gbc.io:443/foo", "b.gbc.io:443/foo" },
        { "b.gbc.io/foo", "b.gbc.io", "foo", null, null, "b.gbc.io/foo", "b.gbc.io/foo" },
        { "xn--n3h.com/foo", "xn--n3h.com", "foo", null, null, "xn--n3h.com/foo", "xn--n3h.com/foo" },
        { "Asdf.com/foo", "Asdf.com", "foo", null, null, "Asdf.com/foo", "Asdf.com/foo" },
        { "192.168.1.1:75050/foo", "192.168.1.1:75050", "foo", null, null, "192.168.1.1:75050/foo", "192.168.1.1:75050/foo" },
        { "192.168.1.1:750050/foo", "192.168.1.1:750050", "foo", null, null, "192.168.1.1:750050/foo", "192.168.1.1:750050/foo" },
        { "[fd00:1:2::3]:75050/foo", "[fd00:1:2::3]:75050", "foo", null, null, "[fd00:1:2::3]:75050/foo", "[fd00:1:2::3]:75050/foo" },
        { "[fd00123123123]:75050/foo", "[fd00123123123]:75050", "foo", null, null, "[fd00123123123]:75050/foo", "[fd00123123123]:75050/foo" },
        { "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050/foo", "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050", "foo", null, null, "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050/foo", "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050/foo" },
        { "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505/foo", "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505", "foo", null, null, "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505/foo", "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505/foo" },
        // regexp_test.go TestFullNameRegexp
        { "short", "docker.io", "library/short", null, null, "docker.io/library/short", "short" },
        { "simple/name", "docker.io", "simple/name", null, null, "docker.io/simple/name", "simple/name" },
        { "docker/stevvooe/app", "docker.io", "docker/stevvooe/app", null, null, "docker.io/docker/stevvooe/app", "docker/stevvooe/app" },
        { "aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb", "docker.io", "aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb", null, null, "docker.io/aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb", "aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb" },
        { "aa/aa/bb/bb/bb", "docker.io", "aa/aa/bb/bb/bb", null, null, "docker.io/aa/aa/bb/bb/bb", "aa/aa/bb/bb/bb" },
        { "a/a/a/a", "docker.io", "a/a/a/a", null, null, "docker.io/a/a/a/a", "a/a/a/a" },
        { "a", "docker.io", "library/a", null, null, "docker.io/library/a", "a" },
        { "a/aa", "docker.io", "a/aa", null, null, "docker.io/a/aa", "a/aa" },
        { "a/aa/a", "docker.io", "a/aa/a", null, null, "docker.io/a/aa/a", "a/aa/a" },
        { "foo.com", "docker.io", "library/foo.com", null, null, "docker.io/library/foo.com", "foo.com" },
        { "foo.com:8080/bar", "foo.com:8080", "bar", null, null, "foo.com:8080/bar", "foo.com:8080/bar" },
        { "foo.com/bar", "foo.com", "bar", null, null, "foo.com/bar", "foo.com/bar" },
        { "foo.com/bar/baz", "foo.com", "bar/baz", null, null, "foo.com/bar/baz", "foo.com/bar/baz" },
        { "localhost:8080/bar", "localhost:8080", "bar", null, null, "localhost:8080/bar", "localhost:8080/bar" },
        { "blog.foo.com/bar/baz", "blog.foo.com", "bar/baz", null, null, "blog.foo.com/bar/baz", "blog.foo.com/bar/baz" },
        { "aa-a/a", "docker.io", "aa-a/a", null, null, "docker.io/aa-a/a", "aa-a/a" },
        { "foo_bar", "docker.io", "library/foo_bar", null, null, "docker.io/library/foo_bar", "foo_bar" },
        { "foo_bar.com", "docker.io", "library/foo_bar.com", null, null, "docker.io/library/foo_bar.com", "foo_bar.com" },
        { "foo.com/foo_bar", "foo.com", "foo_bar", null, null, "foo.com/foo_bar", "foo.com/foo_bar" },
        { "example.com/xn--7o8h.com/myimage", "example.com", "xn--7o8h.com/myimage", null, null, "example.com/xn--7o8h.com/myimage", "example.com/xn--7o8h.com/myimage" },
        { "example.com/some_separator__underscore/myimage", "example.com", "some_separator__underscore/myimage", null, null, "example.com/some_separator__underscore/myimage", "example.com/some_separator__underscore/myimage" },
        { "do__cker/docker", "docker.io", "do__cker/docker", null, null, "docker.io/do__cker/docker", "do__cker/docker" },
        { "registry.io/foo/project--id.module--name.ver---sion--name", "registry.io", "foo/project--id.module--name.ver---sion--name", null, null, "registry.io/foo/project--id.module--name.ver---sion--name", "registry.io/foo/project--id.module--name.ver---sion--name" },
        { "Asdf.com/foo/bar", "Asdf.com", "foo/bar", null, null, "Asdf.com/foo/bar", "Asdf.com/foo/bar" },
        // regexp_test.go TestReferenceRegexp
        { "registry.com:8080/myapp:tag", "registry.com:8080", "myapp", "tag", null, "registry.com:8080/myapp:tag", "registry.com:8080/myapp" },
        { "registry.com:8080/myapp@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "registry.com:8080", "myapp", null, "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "registry.com:8080/myapp@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "registry.com:8080/myapp" },
        { "registry.com:8080/myapp:tag2@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "registry.com:8080", "myapp", "tag2", "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "registry.com:8080/myapp:tag2@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "registry.com:8080/myapp" },
        { "localhost:8080@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "docker.io", "library/localhost", "8080", "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "docker.io/library/localhost:8080@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "localhost" },
        { "localhost:8080/name@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "localhost:8080", "name", null, "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "localhost:8080/name@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "localhost:8080/name" },
        { "localhost@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "docker.io", "library/localhost", null, "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "docker.io/library/localhost@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", "localhost" },
        // regexp_test.go TestIdentifierRegexp
        { "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf", "docker.io", "library/da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf", null, null, "docker.io/library/da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf", "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf" },
        { "sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821", "docker.io", "library/sha256", "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821", null, "docker.io/library/sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821", "sha256" },
        { "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482", "docker.io", "library/da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482", null, null, "docker.io/library/da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482", "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482" },
        // go-digest digest_test.go TestParseDigest (as foo@<digest>)
        { "foo@sha256:e58fcf7418d4390dec8e8fb69d88c06ec07039d651fedd3aa72af9972e7d046b", "docker.io", "library/foo", null, "sha256:e58fcf7418d4390dec8e8fb69d88c06ec07039d651fedd3aa72af9972e7d046b", "docker.io/library/foo@sha256:e58fcf7418d4390dec8e8fb69d88c06ec07039d651fedd3aa72af9972e7d046b", "foo" },
        { "foo@sha384:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", "docker.io", "library/foo", null, "sha384:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", "docker.io/library/foo@sha384:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", "foo" },
        // own: tags
        { "nginx:_x", "docker.io", "library/nginx", "_x", null, "docker.io/library/nginx:_x", "nginx" },
        { "nginx:X", "docker.io", "library/nginx", "X", null, "docker.io/library/nginx:X", "nginx" },
        { "nginx:1.25.3-alpine", "docker.io", "library/nginx", "1.25.3-alpine", null, "docker.io/library/nginx:1.25.3-alpine", "nginx" },
        { "nginx:" + Repeat("t", 128), "docker.io", "library/nginx", Repeat("t", 128), null, "docker.io/library/nginx:" + Repeat("t", 128), "nginx" },
        { "localhost:5000", "docker.io", "library/localhost", "5000", null, "docker.io/library/localhost:5000", "localhost" },
        // own: digests
        { "nginx@sha512:" + Repeat("f", 128), "docker.io", "library/nginx", null, "sha512:" + Repeat("f", 128), "docker.io/library/nginx@sha512:" + Repeat("f", 128), "nginx" },
        { "nginx@sha384:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", "docker.io", "library/nginx", null, "sha384:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", "docker.io/library/nginx@sha384:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", "nginx" },
        { "nginx:1.25@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io", "library/nginx", "1.25", "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io/library/nginx:1.25@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "nginx" },
        { "ghcr.io/a/b:v1@sha384:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", "ghcr.io", "a/b", "v1", "sha384:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", "ghcr.io/a/b:v1@sha384:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", "ghcr.io/a/b" },
        // own: registries and normalization
        { "ghcr.io/owner/app", "ghcr.io", "owner/app", null, null, "ghcr.io/owner/app", "ghcr.io/owner/app" },
        { "ghcr.io/owner/app:v1.2.3", "ghcr.io", "owner/app", "v1.2.3", null, "ghcr.io/owner/app:v1.2.3", "ghcr.io/owner/app" },
        { "GHCR.IO/owner/app", "GHCR.IO", "owner/app", null, null, "GHCR.IO/owner/app", "GHCR.IO/owner/app" },
        { "registry.gitlab.com/group/sub/project:main", "registry.gitlab.com", "group/sub/project", "main", null, "registry.gitlab.com/group/sub/project:main", "registry.gitlab.com/group/sub/project" },
        { "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "app", "1", null, "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app" },
        { "myreg.azurecr.io/team/app", "myreg.azurecr.io", "team/app", null, null, "myreg.azurecr.io/team/app", "myreg.azurecr.io/team/app" },
        { "registry.digitalocean.com/acct/app", "registry.digitalocean.com", "acct/app", null, null, "registry.digitalocean.com/acct/app", "registry.digitalocean.com/acct/app" },
        { "quay.io/coreos/etcd", "quay.io", "coreos/etcd", null, null, "quay.io/coreos/etcd", "quay.io/coreos/etcd" },
        { "localhost", "docker.io", "library/localhost", null, null, "docker.io/library/localhost", "localhost" },
        { "localhost:5000/app", "localhost:5000", "app", null, null, "localhost:5000/app", "localhost:5000/app" },
        { "localhost/app:dev", "localhost", "app", "dev", null, "localhost/app:dev", "localhost/app" },
        { "example.com", "docker.io", "library/example.com", null, null, "docker.io/library/example.com", "example.com" },
        { "example.com:5000", "docker.io", "library/example.com", "5000", null, "docker.io/library/example.com:5000", "example.com" },
        { "index.docker.io/nginx", "docker.io", "library/nginx", null, null, "docker.io/library/nginx", "nginx" },
        { "INDEX.DOCKER.IO/nginx", "INDEX.DOCKER.IO", "nginx", null, null, "INDEX.DOCKER.IO/nginx", "INDEX.DOCKER.IO/nginx" },
        { "index.docker.io:443/nginx", "index.docker.io:443", "nginx", null, null, "index.docker.io:443/nginx", "index.docker.io:443/nginx" },
        { "docker.io:443/nginx", "docker.io:443", "nginx", null, null, "docker.io:443/nginx", "docker.io:443/nginx" },
        { "registry-1.docker.io/library/nginx", "registry-1.docker.io", "library/nginx", null, null, "registry-1.docker.io/library/nginx", "registry-1.docker.io/library/nginx" },
        { "docker.io/library/library/nginx", "docker.io", "library/library/nginx", null, null, "docker.io/library/library/nginx", "library/library/nginx" },
        { "docker.io/user/app", "docker.io", "user/app", null, null, "docker.io/user/app", "user/app" },
        { "user/app:1.0", "docker.io", "user/app", "1.0", null, "docker.io/user/app:1.0", "user/app" },
        { "[::1]/app", "[::1]", "app", null, null, "[::1]/app", "[::1]/app" },
        { "[::1]:5000/app:1@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "[::1]:5000", "app", "1", "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "[::1]:5000/app:1@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "[::1]:5000/app" },
        { "[::]/x", "[::]", "x", null, null, "[::]/x", "[::]/x" },
        { "a:1/b", "a:1", "b", null, null, "a:1/b", "a:1/b" },
        { "host.com:0/x", "host.com:0", "x", null, null, "host.com:0/x", "host.com:0/x" },
        { "host.com:99999999/x", "host.com:99999999", "x", null, null, "host.com:99999999/x", "host.com:99999999/x" },
        { "MyRegistry:5000/app", "MyRegistry:5000", "app", null, null, "MyRegistry:5000/app", "MyRegistry:5000/app" },
        { "my_registry/app", "docker.io", "my_registry/app", null, null, "docker.io/my_registry/app", "my_registry/app" },
        { "my-registry.local/app", "my-registry.local", "app", null, null, "my-registry.local/app", "my-registry.local/app" },
        { "my_reg.com/app", "", "my_reg.com/app", null, null, "my_reg.com/app", "my_reg.com/app" },
        { "docker.io/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io", "library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", null, null, "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c" },
        { "library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io", "library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", null, null, "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c" },
        { "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "docker.io", "library/sha256", "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", null, "docker.io/library/sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "sha256" },
        { Repeat("a", 247), "docker.io", "library/" + Repeat("a", 247), null, null, "docker.io/library/" + Repeat("a", 247), Repeat("a", 247) },
        { "docker.io/" + Repeat("a", 247), "docker.io", "library/" + Repeat("a", 247), null, null, "docker.io/library/" + Repeat("a", 247), Repeat("a", 247) },
        { "a/" + Repeat("b", 253), "docker.io", "a/" + Repeat("b", 253), null, null, "docker.io/a/" + Repeat("b", 253), "a/" + Repeat("b", 253) },
        { "example.com/a:" + Repeat("t", 128) + "@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "example.com", "a", Repeat("t", 128), "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "example.com/a:" + Repeat("t", 128) + "@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "example.com/a" },
        { "a.b", "docker.io", "library/a.b", null, null, "docker.io/library/a.b", "a.b" },
        { "a__b/c", "docker.io", "a__b/c", null, null, "docker.io/a__b/c", "a__b/c" },
        { "a----b/c", "docker.io", "a----b/c", null, null, "docker.io/a----b/c", "a----b/c" },
    };

    public static TheoryData<string, ImageReferenceErrorKind> Invalid => new()
    {
        // reference_test.go TestReferenceParse
        { "", ImageReferenceErrorKind.Empty }, // docker: invalid reference format
        { ":justtag", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "@sha256:" + Repeat("f", 64), ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "repo@sha256:" + Repeat("f", 34), ImageReferenceErrorKind.InvalidDigest }, // docker: invalid checksum digest length
        { "validname@invaliddigest:" + Repeat("f", 64), ImageReferenceErrorKind.UnsupportedDigestAlgorithm }, // docker: unsupported digest algorithm
        { "Uppercase:tag", ImageReferenceErrorKind.NameNotLowercase }, // docker: invalid reference format: repository name (library/Uppercase) must be lowercase
        { "test:5000/Uppercase/lowercase:tag", ImageReferenceErrorKind.NameNotLowercase }, // docker: invalid reference format: repository name (Uppercase/lowercase) must be lowercase
        { "domain/" + Repeat("a", 256) + ":tag", ImageReferenceErrorKind.NameTooLong }, // docker: repository name must not be more than 255 characters
        { "aa/asdf$$^/aa", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "[2001:db8::1]", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "[2001:db8::1]:5000", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "[2001:db8::1]:tag", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "[fe80::1%eth0]:5000/repo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "[fe80::1%@invalidzone]:5000/repo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        // reference_test.go TestWithNameFailure / TestDomainAndPath / TestSerialization / TestParseNamed
        { "example.com/" + Repeat("a", 256), ImageReferenceErrorKind.NameTooLong }, // docker: repository name must not be more than 255 characters
        // normalize_test.go TestValidateReferenceName
        { "https://github.com/docker/docker", ImageReferenceErrorKind.InvalidFormat }, // docker: invalid reference format
        { "docker/Docker", ImageReferenceErrorKind.NameNotLowercase }, // docker: invalid reference format: repository name (<input>) must be lowercase
        { "-docker", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "-docker/docker", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "-docker.io/docker/docker", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "docker///docker", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "docker.io/docker/Docker", ImageReferenceErrorKind.NameNotLowercase }, // docker: invalid reference format: repository name (docker/Docker) must be lowercase
        { "docker.io/docker///docker", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "[fc00::1]", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "[fc00::1]:5000", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "fc00::1:5000/debian", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "[fe80::1%eth0]:5000/debian", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "[2001:db8:3:4::192.0.2.33]:5000/debian", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", ImageReferenceErrorKind.NameIsHexDigest }, // docker: invalid repository name (<input>), cannot specify 64-byte hexadecimal strings
        // normalize_test.go TestValidateRemoteName
        { "docker-/docker", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "-docker-/docker", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "____/____", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "_docker/_docker", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "dock..er/docker", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "dock_.er/docker", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "dock-.er/docker", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "docker/", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker", ImageReferenceErrorKind.NameTooLong }, // docker: repository name must not be more than 255 characters
        // normalize_test.go TestParseReferenceWithTagAndDigest / TestParseAnyReference / TestParseDockerRef
        { "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", ImageReferenceErrorKind.NameIsHexDigest }, // docker: invalid repository name (<input>), cannot specify 64-byte hexadecimal strings
        // regexp_test.go TestDomainRegexp (as <domain>/foo)
        { "test.com:http/foo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "-ab.com/foo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "ab-.com/foo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "ab.-com/foo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "ab.com-/foo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "[fd00:1:2::3]75050/foo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "[fd00:1:2::3]::75050/foo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "[fd00:1:2::3%eth0]:75050/foo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "fd00:1:2::3:75050/foo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        // regexp_test.go TestFullNameRegexp
        { "a/a/a/a/", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "a//a/a", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "foo.com/", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "foo.com:http/bar", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "a^a", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "asdf$$^/aa", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { Repeat("a/", 128) + "a", ImageReferenceErrorKind.NameTooLong }, // docker: repository name must not be more than 255 characters
        { "a-/a/a/a", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "foo.com/a-/a/a", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "-foo/bar", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "foo/bar-", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "foo-/bar", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "foo/-bar", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "_foo/bar", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "foo_bar.com:8080/app", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "docker_/docker_", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "example.com/__underscore/myimage", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "example.com/..dots/myimage", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "example.com/.dots/myimage", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "example.com/nodouble..dots/myimage", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "docker./docker", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { ".docker/docker", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "do..cker/docker", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "do__cker:8080/docker", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "Foo/FarB", ImageReferenceErrorKind.NameNotLowercase }, // docker: invalid reference format: repository name (FarB) must be lowercase
        // regexp_test.go TestReferenceRegexp
        { "registry.com:8080/myapp@sha256:badbadbadbad", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format
        { "registry.com:8080/myapp:invalid~tag", ImageReferenceErrorKind.InvalidTag }, // docker: invalid reference format
        { "bad_hostname.com:8080/myapp:tag", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "localhost:http/name@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "registry.com:8080/myapp@bad", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format
        { "registry.com:8080/myapp@2bad", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format
        // regexp_test.go TestIdentifierRegexp
        { "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821", ImageReferenceErrorKind.NameIsHexDigest }, // docker: invalid repository name (<input>), cannot specify 64-byte hexadecimal strings
        { "7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C", ImageReferenceErrorKind.NameNotLowercase }, // docker: invalid reference format: repository name (library/<input>) must be lowercase
        // go-digest digest_test.go TestParseDigest (as foo@<digest>)
        { "foo@sha256:", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format
        { "foo@:", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format
        { "foo@d41d8cd98f00b204e9800998ecf8427e", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format
        { "foo@sha256:d41d8cd98f00b204e9800m98ecf8427e", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format
        { "foo@sha256:abcdef0123456789", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format
        { "foo@sha512:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid checksum digest length
        { "foo@foo:d41d8cd98f00b204e9800998ecf8427e", ImageReferenceErrorKind.UnsupportedDigestAlgorithm }, // docker: unsupported digest algorithm
        { "foo@sha384__foo+bar:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format
        { "foo@sha384.foo+bar:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", ImageReferenceErrorKind.UnsupportedDigestAlgorithm }, // docker: unsupported digest algorithm
        { "foo@sha384_foo+bar:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", ImageReferenceErrorKind.UnsupportedDigestAlgorithm }, // docker: unsupported digest algorithm
        { "foo@sha256+b64:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", ImageReferenceErrorKind.UnsupportedDigestAlgorithm }, // docker: invalid reference format
        { "foo@sha256:E58FCF7418D4390DEC8E8FB69D88C06EC07039D651FEDD3AA72AF9972E7D046B", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid checksum digest format
        // own: tags
        { "nginx:", ImageReferenceErrorKind.InvalidTag }, // docker: invalid reference format
        { "nginx:-x", ImageReferenceErrorKind.InvalidTag }, // docker: invalid reference format
        { "nginx:.x", ImageReferenceErrorKind.InvalidTag }, // docker: invalid reference format
        { "nginx:" + Repeat("t", 129), ImageReferenceErrorKind.InvalidTag }, // docker: invalid reference format
        { "nginx:a+b", ImageReferenceErrorKind.InvalidTag }, // docker: invalid reference format
        { "nginx:a/b", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "nginx:tag with space", ImageReferenceErrorKind.InvalidTag }, // docker: invalid reference format
        { "nginx::tag", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "localhost:5000:tag", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "nginx:latest:latest", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        // own: digests
        { "nginx@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid checksum digest length
        { "nginx@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c0", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid checksum digest length
        { "nginx@SHA256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format: repository name (library/nginx@SHA256) must be lowercase
        { "nginx@sha256:DBCC1C35AC38DF41FD2F5E4130B32FFDB93EBAE8B3DBE638C23575912276FC9C", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid checksum digest format
        { "nginx@md5:d41d8cd98f00b204e9800998ecf8427e", ImageReferenceErrorKind.UnsupportedDigestAlgorithm }, // docker: unsupported digest algorithm
        { "nginx@md5:abc", ImageReferenceErrorKind.UnsupportedDigestAlgorithm }, // docker: invalid reference format
        { "nginx@", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format
        { "nginx@sha256", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format
        { "nginx@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", ImageReferenceErrorKind.InvalidFormat }, // docker: invalid reference format
        { "nginx@sha256:" + Repeat("g", 64), ImageReferenceErrorKind.InvalidDigest }, // docker: invalid reference format
        { "nginx@blake3:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", ImageReferenceErrorKind.UnsupportedDigestAlgorithm }, // docker: unsupported digest algorithm
        { "nginx@sha512:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", ImageReferenceErrorKind.InvalidDigest }, // docker: invalid checksum digest length
        // own: registries and normalization
        { "[]/x", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "[::1/x", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "::1/x", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "a:/b", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "my_reg.com:5000/app", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "Foo_bar/x", ImageReferenceErrorKind.NameNotLowercase }, // docker: repository name must be lowercase
        { "foo/Bar", ImageReferenceErrorKind.NameNotLowercase }, // docker: invalid reference format: repository name (foo/Bar) must be lowercase
        { "DBCC1C35AC38DF41FD2F5E4130B32FFDB93EBAE8B3DBE638C23575912276FC9C", ImageReferenceErrorKind.NameNotLowercase }, // docker: invalid reference format: repository name (library/<input>) must be lowercase
        { "nginx\n", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { " nginx", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "nginx ", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "ng\u00efnx", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "nginx\t:latest", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "user@host.com/foo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "foo bar", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { Repeat("a", 248), ImageReferenceErrorKind.NameTooLong }, // docker: repository name must not be more than 255 characters
        { "a/" + Repeat("b", 254), ImageReferenceErrorKind.NameTooLong }, // docker: repository name must not be more than 255 characters
        { "example.com/" + Repeat("b", 256), ImageReferenceErrorKind.NameTooLong }, // docker: repository name must not be more than 255 characters
        { "foo:bar:baz", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "a/b:c/d", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "localhost:/foo", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
        { "http://example.com/app", ImageReferenceErrorKind.InvalidFormat }, // docker: invalid reference format
        { "example.com//app", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "/app", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "app/", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { ".", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "..", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "-", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "_", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "a..b", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "a___b/c", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "a-_b/c", ImageReferenceErrorKind.InvalidPath }, // docker: invalid reference format
        { "a._b/c", ImageReferenceErrorKind.InvalidDomain }, // docker: invalid reference format
    };

    private static string Repeat(string unit, int count) => string.Concat(Enumerable.Repeat(unit, count));
}
