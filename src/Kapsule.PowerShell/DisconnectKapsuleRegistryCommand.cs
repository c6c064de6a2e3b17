using System;
using System.IO;
using System.Management.Automation;
using Kapsule.Registry;

namespace Kapsule.PowerShell
{
    /// <summary>
    /// Logs out of registries the way <c>docker logout</c> does: erases the login from the credential helper
    /// that applies and removes every <c>auths</c> entry for the registry from docker's config.json.
    /// </summary>
    [Cmdlet(VerbsCommunications.Disconnect, "KapsuleRegistry", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(string))]
    public sealed class DisconnectKapsuleRegistryCommand : KapsuleCmdlet
    {
        /// <summary>The registries to log out of: <c>host[:port]</c>.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] Registry { get; set; } = new string[0];

        /// <summary>docker's config file. Default: $env:DOCKER_CONFIG/config.json, else ~/.docker/config.json.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ConfigPath { get; set; }

        /// <summary>Emit the name of each registry logged out of.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        private DockerConfigCredentialProvider? _provider;

        private DockerConfigCredentialProvider Provider => _provider ??= new DockerConfigCredentialProvider(
            ConfigPath is null ? null : GetUnresolvedProviderPathFromPSPath(ConfigPath), Array.Empty<string>());

        protected override void ProcessRecord()
        {
            foreach (var name in Registry)
            {
                string registry;
                string store;
                try
                {
                    registry = DockerConfigCredentialProvider.NormalizeRegistry(name);
                    store = Provider.DescribeStore(registry);
                }
                catch (KapsuleException e)
                {
                    WriteError(ToErrorRecord(e, name));
                    continue;
                }
                if (!ShouldProcess($"{registry} ({store})", "Remove the registry login")) continue;

                bool removed = false;
                try
                {
                    RunAsync(async ct => removed = await Provider.EraseAsync(registry, ct).ConfigureAwait(false));
                }
                catch (Exception e) when (e is KapsuleException || e is IOException || e is UnauthorizedAccessException)
                {
                    WriteError(ToErrorRecord(e, registry));
                    continue;
                }
                if (!removed)
                {
                    var e = new KapsuleException(ErrorIds.NotLoggedIn, KapsuleErrorKind.ObjectNotFound,
                        $"No login for '{registry}' is stored in {store}, so there is nothing to remove.")
                    { Target = registry };
                    WriteError(ToErrorRecord(e));
                    continue;
                }
                WriteVerbose($"Removed the login for {registry} from {store}.");
                if (PassThru) WriteObject(registry);
            }
        }
    }
}
