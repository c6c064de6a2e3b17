# Loads the binary cmdlets from bin/ and exports them through this module, so that
# CmdletsToExport in Kapsule.psd1 is the single list of what users get.
$binary = [System.IO.Path]::Combine($PSScriptRoot, 'bin', 'Kapsule.dll')
$inner = Import-Module -Name $binary -PassThru -ErrorAction Stop

# Import-Module -Force re-imports the nested binary module but does not re-export its cmdlets through
# this script module (PowerShell issue 20710); add them explicitly.
$addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod(
    'AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
foreach ($cmd in $inner.ExportedCmdlets.Values) {
    $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmd))
}
