@{
    RootModule           = 'Kapsule.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '4b0c5b8e-9a51-4f63-8d0e-6f7a8c1e2d31'
    Author               = 'Kapsule'
    CompanyName          = 'Kapsule'
    Copyright            = '(c) Kapsule contributors. MIT License.'
    Description          = 'Package Large Language Models as OCI artifacts from a Modelfile, encrypt their layers (ocicrypt), move them through any OCI registry and export them to the layouts model runtimes read.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Core', 'Desktop')
    # Loaded up front so scripts can name the core's types ([Kapsule.Content.OciLayoutStore], ...).
    RequiredAssemblies   = @('bin/Kapsule.Core.dll')
    FormatsToProcess     = @('Kapsule.Format.ps1xml')
    FunctionsToExport    = @()
    CmdletsToExport      = @(
        'Connect-KapsuleRegistry'
        'ConvertFrom-KapsuleModelfile'
        'ConvertTo-KapsuleModelfile'
        'Disconnect-KapsuleRegistry'
        'Get-KapsuleImage'
        'Get-KapsuleModel'
        'Publish-KapsuleImage'
        'Remove-KapsuleImage'
        'Test-KapsuleImage'
    )
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('OCI', 'LLM', 'Ollama', 'ModelPack', 'ocicrypt', 'registry', 'PSEdition_Core', 'PSEdition_Desktop', 'Linux', 'Windows', 'MacOS')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
