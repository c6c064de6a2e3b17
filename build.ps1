#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests and demonstrates Kapsule. One entry point for developers and CI.
.DESCRIPTION
    Tasks:
      Build  compile and lay the module out in output/Kapsule/<version>/
      Test   Build, then xunit (the core) and Pester (the built module, in a child PowerShell,
             against a real registry); ends with one "N passed, N failed" line for the whole run
      Demo   Build, then Kapsule's main job on the sample model with a store under output/
      Bench  Build, then the side-by-side benchmarks in bench/ (not part of Test)
      Clean  remove output/ and the bin/obj folders
    Exits non-zero when anything fails.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 Test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Clean')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester tests to run (paths or names under tests/); all when empty.
    [string[]] $PesterPath,

    # Pester tag filter, e.g. -Tag Registry.
    [string[]] $Tag
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$Root = $PSScriptRoot
$Manifest = Import-PowerShellDataFile -Path (Join-Path $Root 'module/Kapsule.psd1')
$Version = $Manifest.ModuleVersion
$Output = Join-Path $Root 'output'
$ModuleDir = Join-Path $Output "Kapsule/$Version"
$ResultsDir = Join-Path $Output 'TestResults'
$PesterVersion = '5.7.1'

function Invoke-Native {
    param([string] $What, [scriptblock] $Command)
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

function Get-ChildPowerShell {
    # The pwsh running this script, as a command line a child process can use: the apphost when there
    # is one, else `dotnet pwsh.dll` (how the dotnet tool runs).
    foreach ($name in 'pwsh', 'pwsh.exe') {
        $candidate = Join-Path $PSHOME $name
        if (Test-Path -LiteralPath $candidate -PathType Leaf) { return , @($candidate) }
    }
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path -LiteralPath $dll) { return , @('dotnet', $dll) }
    return , @('pwsh')
}

function Invoke-ChildPowerShell {
    param([string] $File, [string[]] $Arguments = @())
    $cmd = Get-ChildPowerShell
    $exe = $cmd[0]
    $pre = @($cmd | Select-Object -Skip 1)
    & $exe @pre -NoProfile -NonInteractive -File $File @Arguments | Out-Host
    return $LASTEXITCODE
}

function Invoke-Build {
    Write-Host "== Build ($Configuration) -> $ModuleDir" -ForegroundColor Cyan
    Invoke-Native 'dotnet build' { dotnet build (Join-Path $Root 'Kapsule.PowerShell.sln') -c $Configuration --nologo -v quiet }
    if (Test-Path $ModuleDir) { Remove-Item -LiteralPath $ModuleDir -Recurse -Force }
    $bin = New-Item -ItemType Directory -Path (Join-Path $ModuleDir 'bin') -Force
    $built = Join-Path $Root "src/Kapsule.PowerShell/bin/$Configuration/netstandard2.0"
    Get-ChildItem -LiteralPath $built -File |
        Where-Object { $_.Extension -in '.dll', '.pdb', '.xml' -and $_.Name -notlike 'System.Management.Automation*' } |
        Copy-Item -Destination $bin.FullName
    Copy-Item -Path (Join-Path $Root 'module/*') -Destination $ModuleDir -Recurse -Force
    # Help: docs/en-US/*.md -> en-US/Kapsule.dll-Help.xml (MAML for the compiled cmdlets) and
    # en-US/about_*.help.txt, next to Kapsule.psd1. Tried on PowerShell 7.6.10: Get-Help finds the MAML both in
    # <version>/en-US/ (the module base of the Kapsule module, which re-exports the cmdlets of bin/Kapsule.dll)
    # and in <version>/bin/en-US/ (beside the DLL), and prefers the module base when both exist; about_ topics
    # are found there too. The module base is the documented place, so the help goes there and only there.
    $helpSource = Join-Path $Root 'docs/en-US'
    if (Test-Path $helpSource) {
        $helpTool = Join-Path $Root 'tools/New-MamlHelp.ps1'
        if (Test-Path $helpTool) {
            $code = Invoke-ChildPowerShell -File $helpTool -Arguments @('-ModulePath', (Join-Path $ModuleDir 'Kapsule.psd1'), '-SourcePath', $helpSource, '-OutputPath', (Join-Path $ModuleDir 'en-US/Kapsule.dll-Help.xml'))
            if ($code -ne 0) { throw "Help generation failed (exit code $code)." }
        }
    }
    Write-Host "Module laid out in $ModuleDir"
}

function Get-PesterModulePath {
    Invoke-Native 'restore Pester' { dotnet restore (Join-Path $Root 'tools/PesterRestore.proj') --nologo -v quiet }
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $psd1 = Join-Path $packages "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $psd1)) { throw "Pester $PesterVersion was restored but $psd1 is missing." }
    return $psd1
}

function Read-TrxCounts([string] $Path) {
    [xml] $trx = Get-Content -LiteralPath $Path -Raw
    $c = $trx.TestRun.ResultSummary.Counters
    [pscustomobject]@{ Passed = [int]$c.passed; Failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted; Skipped = [int]$c.notExecuted }
}

function Invoke-Test {
    New-Item -ItemType Directory -Path $ResultsDir -Force | Out-Null
    $passed = 0; $failed = 0; $skipped = 0

    Write-Host "== xunit: Kapsule.Core.Tests" -ForegroundColor Cyan
    $trx = Join-Path $ResultsDir 'core.trx'
    if (Test-Path $trx) { Remove-Item $trx }
    dotnet test (Join-Path $Root 'tests/Kapsule.Core.Tests') -c $Configuration --no-build --nologo `
        --logger "trx;LogFileName=$trx" --logger 'console;verbosity=normal'
    $xunitExit = $LASTEXITCODE
    if (Test-Path $trx) {
        $x = Read-TrxCounts $trx
        $passed += $x.Passed; $failed += $x.Failed; $skipped += $x.Skipped
        Write-Host ("xunit: {0} passed, {1} failed, {2} skipped" -f $x.Passed, $x.Failed, $x.Skipped)
    }
    elseif ($xunitExit -ne 0) { $failed += 1; Write-Host 'xunit did not run.' -ForegroundColor Red }
    if ($xunitExit -ne 0 -and $failed -eq 0) { $failed += 1 }

    Write-Host "== Pester: the built module" -ForegroundColor Cyan
    $pester = Get-PesterModulePath
    $summary = Join-Path $ResultsDir 'pester-summary.json'
    if (Test-Path $summary) { Remove-Item $summary }
    $pesterArgs = @('-PesterModule', $pester, '-ModulePath', (Join-Path $ModuleDir 'Kapsule.psd1'),
        '-TestsPath', (Join-Path $Root 'tests'), '-ResultsPath', $ResultsDir, '-SummaryPath', $summary)
    if ($PesterPath) { $pesterArgs += @('-Include', ($PesterPath -join ',')) }
    if ($Tag) { $pesterArgs += @('-Tag', ($Tag -join ',')) }
    $pesterExit = Invoke-ChildPowerShell -File (Join-Path $Root 'tools/Invoke-PesterTests.ps1') -Arguments $pesterArgs
    if (Test-Path $summary) {
        $p = Get-Content -LiteralPath $summary -Raw | ConvertFrom-Json
        $p = [pscustomobject]@{ Passed = [int]$p.Passed; Failed = [int]$p.Failed; Skipped = [int]$p.Skipped }
        $passed += $p.Passed; $failed += $p.Failed; $skipped += $p.Skipped
        Write-Host ("Pester: {0} passed, {1} failed, {2} skipped" -f $p.Passed, $p.Failed, $p.Skipped)
        if ($pesterExit -ne 0 -and $p.Failed -eq 0) { $failed += 1; Write-Host 'Pester ended with an error outside any test (see above).' -ForegroundColor Red }
    }
    else { $failed += 1; Write-Host 'Pester did not run.' -ForegroundColor Red }

    Write-Host ''
    Write-Host ("{0} passed, {1} failed, {2} skipped" -f $passed, $failed, $skipped)
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-Demo {
    $code = Invoke-ChildPowerShell -File (Join-Path $Root 'tools/Demo.ps1') -Arguments @('-ModulePath', (Join-Path $ModuleDir 'Kapsule.psd1'), '-OutputPath', $Output)
    if ($code -ne 0) { throw "The demo failed (exit code $code)." }
}

function Invoke-Bench {
    $bench = Join-Path $Root 'bench/Invoke-Bench.ps1'
    if (-not (Test-Path $bench)) { throw 'bench/Invoke-Bench.ps1 is missing.' }
    $code = Invoke-ChildPowerShell -File $bench -Arguments @('-ModulePath', (Join-Path $ModuleDir 'Kapsule.psd1'))
    if ($code -ne 0) { throw "The benchmark failed (exit code $code)." }
}

function Invoke-Clean {
    if (Test-Path $Output) { Remove-Item -LiteralPath $Output -Recurse -Force }
    Get-ChildItem -Path (Join-Path $Root 'src'), (Join-Path $Root 'tests') -Directory -Recurse -Include bin, obj |
        Remove-Item -Recurse -Force
}

foreach ($t in $Task) {
    switch ($t) {
        'Clean' { Invoke-Clean }
        'Build' { Invoke-Build }
        'Test' { Invoke-Build; Invoke-Test }
        'Demo' { Invoke-Build; Invoke-Demo }
        'Bench' { Invoke-Build; Invoke-Bench }
    }
}
