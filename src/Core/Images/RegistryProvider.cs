namespace Cluster.Core.Images;

// The hosted registry service a registry host belongs to; decides how credentials are obtained.
public enum RegistryProvider
{
    Generic,
    DockerHub,
    Ghcr,
    GitLab,
    Ecr,
    Acr,
    DigitalOcean,
    Quay,
}
