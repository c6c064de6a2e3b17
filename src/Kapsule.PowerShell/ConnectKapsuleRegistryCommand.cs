using System;
using System.IO;
using System.Management.Automation;
using Kapsule.Registry;

namespace Kapsule.PowerShell
{
    /// <summary>
    /// Logs in to a registry the way <c>docker login</c> does: checks the credential against the registry
    /// (unless -SkipVerify), then stores it where docker and podman find it — the credential helper named by
    /// <c>credHelpers</c>/<c>credsStore</c> in docker's config.json, else <c>auths</c> in that file.
    /// </summary>
    [Cmdlet(VerbsCommunications.Connect, "KapsuleRegistry", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(RegistryLogin))]
    public sealed class ConnectKapsuleRegistryCommand : KapsuleCmdlet
    {
        /// <summary>The registry: <c>host[:port]</c>, such as <c>ghcr.io</c>, <c>localhost:5000</c> or <c>docker.io</c>.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Registry { get; set; } = "";

        /// <summary>The user name and password (or access token) for the registry.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [Credential]
        [ValidateNotNull]
        public PSCredential Credential { get; set; } = PSCredential.Empty;

        /// <summary>docker's config file to write. Default: $env:DOCKER_CONFIG/config.json, else ~/.docker/config.json.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ConfigPath { get; set; }

        /// <summary>Store the credential without checking it against the registry first.</summary>
        [Parameter]
        public SwitchParameter SkipVerify { get; set; }

        /// <summary>Allow plain HTTP to a registry that is not on the loopback address (for the check).</summary>
        [Parameter]
        public SwitchParameter AllowInsecure { get; set; }

        /// <summary>Accept any TLS certificate from the registry (for the check).</summary>
        [Parameter]
        public SwitchParameter SkipCertificateCheck { get; set; }

        /// <summary>A PEM file of CA certificates to trust for the registry (for the check).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? CaFile { get; set; }

        /// <summary>Emit the stored login: Registry, UserName and Store.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            string registry;
            string store;
            DockerConfigCredentialProvider provider;
            try
            {
                registry = DockerConfigCredentialProvider.NormalizeRegistry(Registry);
                provider = new DockerConfigCredentialProvider(
                    ConfigPath is null ? null : GetUnresolvedProviderPathFromPSPath(ConfigPath), Array.Empty<string>());
                store = provider.DescribeStore(registry);
            }
            catch (KapsuleException e)
            {
                WriteError(ToErrorRecord(e, Registry));
                return;
            }

            // Windows PowerShell's credential prompt can prefix a bare user name with '\'.
            var userName = Credential.UserName.TrimStart('\\');
            var password = Credential.GetNetworkCredential().Password;
            if (!ShouldProcess($"{registry} ({store})", $"Store the registry login of '{userName}'")) return;

            var caFile = CaFile is null ? null : GetUnresolvedProviderPathFromPSPath(CaFile);
            RegistryLogin? login = null;
            try
            {
                RunAsync(async ct =>
                {
                    if (!SkipVerify)
                    {
                        PostVerbose($"Checking the login of '{userName}' against {registry}.");
                        var credential = new RegistryCredential(userName, password) { Source = "-Credential" };
                        using var client = new RegistryClient(new RegistryClientOptions
                        {
                            Credentials = new StaticCredentialProvider(null, credential),
                            AllowInsecure = AllowInsecure,
                            SkipCertificateCheck = SkipCertificateCheck,
                            CaFile = caFile,
                        });
                        await client.PingAsync(registry, ct).ConfigureAwait(false);
                    }
                    login = await provider.StoreAsync(registry, userName, password, ct).ConfigureAwait(false);
                });
            }
            catch (Exception e) when (e is KapsuleException || e is IOException || e is UnauthorizedAccessException)
            {
                WriteError(ToErrorRecord(e, registry));
                return;
            }

            WriteVerbose($"Stored the login of '{userName}' for {registry} in {login!.Store}.");
            if (PassThru) WriteObject(login);
        }
    }
}
