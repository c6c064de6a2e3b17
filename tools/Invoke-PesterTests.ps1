# Runs the Pester suite in its own process against the BUILT module (so the DLLs of the build are
# not locked by the build's own session) and writes a summary that build.ps1 adds up.
param(
    [Parameter(Mandatory)] [string] $PesterModule,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $TestsPath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string] $Include,
    [string] $Tag
)
$ErrorActionPreference = 'Stop'
# Plain text: ANSI escapes in error messages are invalid in the NUnit XML report.
if ($PSVersionTable.PSVersion.Major -ge 7 -and (Get-Variable PSStyle -ErrorAction Ignore)) { $PSStyle.OutputRendering = 'PlainText' }
Import-Module $PesterModule -Force
$env:KAPSULE_MODULE_PATH = $ModulePath

$config = New-PesterConfiguration
$paths = if ($Include) {
    foreach ($i in $Include -split ',') { if (Test-Path $i) { (Resolve-Path $i).Path } else { Join-Path $TestsPath $i } }
} else { $TestsPath }
$config.Run.Path = @($paths)
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = Join-Path $ResultsPath 'pester.xml'
if ($Tag) { $config.Filter.Tag = @($Tag -split ',') }

try {
    $result = Invoke-Pester -Configuration $config
}
catch {
    Write-Host "Pester itself failed: $_" -ForegroundColor Red
    [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } | ConvertTo-Json | Set-Content -LiteralPath $SummaryPath -Encoding utf8
    exit 1
}
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount + $result.NotRunCount
} | ConvertTo-Json | Set-Content -LiteralPath $SummaryPath -Encoding utf8
if ($result.Result -ne 'Passed') { exit 1 }
exit 0
