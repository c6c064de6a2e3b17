#Requires -Version 7.4
<#
.SYNOPSIS
    Where a pull's time goes: one blob on a loopback docker-registry, fetched by curl and by plain .NET code
    that adds Kapsule's pull stages one at a time (HTTP body read, + SHA-256, + file write, + fsync), and by
    Get-KapsuleModel itself, all timed inside one warm process. Prints a table; writes nothing else.

.DESCRIPTION
    Stages (each run after `sync` and a page-cache drop when allowed, so the registry reads the blob cold):
      curl -o /dev/null            network only
      curl -o file                 what Invoke-Bench's "curl GET" measures
      curl -o file; sync file      plus an fsync of the file (coreutils `sync FILE`)
      .NET read                    HttpClient (ResponseHeadersRead), body read into a 1 MiB buffer, discarded
      .NET read+hash               plus IncrementalHash SHA-256 on every buffer
      .NET read+hash+write         plus FileStream writes (1 MiB buffer, FileOptions.Asynchronous, like PartialBlob)
      .NET read+hash+write+fsync   plus Flush(true) at the end (what PartialBlob.Commit does)
      .NET overlapped+fsync        the same work, but the next network read runs while the previous buffer is
                                   hashed and written (two buffers): what overlapping the stages could gain
      ..., N KiB buffer            the last two with smaller buffers (-AlsoBufferKiB): a buffer that fits the
                                   CPU's L2 cache keeps the bytes there between receive, hash and write
      Get-KapsuleModel             the cmdlet, in this process (module already loaded and warmed up)

.EXAMPLE
    dotnet pwsh -NoProfile ./bench/Measure-PullStages.ps1 -ModulePath ./output/Kapsule/0.1.0/Kapsule.psd1 -SizeMiB 2048 -Runs 3
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [ValidateRange(1, 1048576)][int] $SizeMiB = 2048,
    [ValidateRange(1, 99)][int] $Runs = 3,
    # Extra buffer sizes (KiB) for the read+hash+write+fsync stage; Kapsule uses 1024.
    [int[]] $AlsoBufferKiB = @(256, 64, 16)
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
$Work = Join-Path $PSScriptRoot 'work/stages'
if (Test-Path -LiteralPath $Work) { Remove-Item -LiteralPath $Work -Recurse -Force }
$null = New-Item -ItemType Directory -Path $Work -Force
$env:TMPDIR = (New-Item -ItemType Directory -Path (Join-Path $Work 'tmp')).FullName
$env:KAPSULE_MODULE_PATH = (Resolve-Path $ModulePath).Path
. (Join-Path $RepoRoot 'tests/common.ps1')
Import-Module (Join-Path $RepoRoot 'tests/TestHarness.psm1') -Force

$script:CanDrop = $true
function Clear-PageCache {
    & sync
    if (-not $script:CanDrop) { return }
    try { [System.IO.File]::WriteAllText('/proc/sys/vm/drop_caches', "3`n") } catch { $script:CanDrop = $false }
}

$BufferSize = 1MB
$http = [System.Net.Http.HttpClient]::new()
$http.Timeout = [System.Threading.Timeout]::InfiniteTimeSpan

# The stages are compiled C#, so that they measure .NET and not the PowerShell interpreter's loop.
Add-Type -TypeDefinition @'
using System;
using System.IO;
using System.Net.Http;
using System.Security.Cryptography;
public static class PullStage
{
    public static string Run(HttpClient http, string url, string outPath, bool hash, bool write, bool fsync, bool overlap, int bufferSize)
    {
        using var response = http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
        response.EnsureSuccessStatusCode();
        using var body = response.Content.ReadAsStream();
        using var hasher = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        using var file = write ? new FileStream(outPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize, FileOptions.Asynchronous) : null;
        var a = new byte[bufferSize];
        var b = new byte[bufferSize];
        if (overlap)
        {
            int n = body.Read(a, 0, a.Length);
            while (n > 0)
            {
                var next = body.ReadAsync(b, 0, b.Length);
                hasher?.AppendData(a, 0, n);
                file?.Write(a, 0, n);
                n = next.GetAwaiter().GetResult();
                var t = a; a = b; b = t;
            }
        }
        else
        {
            int n;
            while ((n = body.Read(a, 0, a.Length)) > 0)
            {
                hasher?.AppendData(a, 0, n);
                file?.Write(a, 0, n);
            }
        }
        file?.Flush(fsync);
        return hasher == null ? null : "sha256:" + Convert.ToHexString(hasher.GetHashAndReset()).ToLowerInvariant();
    }
}
'@

$reg = Start-TestRegistry
try {
    # The blob: pushed by Kapsule (so Get-KapsuleModel can pull the image), fetched by everything.
    $ref = "$($reg.HostPort)/bench/stages:v1"
    $src = Join-Path $Work 'src-store'
    $weights = Join-Path $Work 'weights.bin'
    & bash -c 'head -c "$1" /dev/urandom > "$2"' random ($SizeMiB * 1MB) $weights
    $null = New-TestModelImage -StorePath $src -Reference $ref -Files $weights
    Remove-Item -LiteralPath $weights
    Publish-KapsuleImage -StorePath $src $ref
    $layer = (Get-KapsuleImage -StorePath $src $ref).Layers | Select-Object -First 1
    $digest = $layer.Digest
    Remove-Item -LiteralPath $src -Recurse -Force
    $url = "$($reg.Url)/v2/bench/stages/blobs/$digest"
    $out = Join-Path $Work 'out.bin'

    $stages = [ordered]@{
        'curl -o /dev/null'                   = { & curl -sS -f -o /dev/null $url }
        'curl -o file'                        = { & curl -sS -f -o $out $url }
        'curl -o file; sync file (fsync)'     = { & curl -sS -f -o $out $url; & sync $out }
        '.NET read'                           = { [PullStage]::Run($http, $url, $out, $false, $false, $false, $false, $BufferSize) }
        '.NET read+hash'                      = { [PullStage]::Run($http, $url, $out, $true, $false, $false, $false, $BufferSize) }
        '.NET read+hash+write'                = { [PullStage]::Run($http, $url, $out, $true, $true, $false, $false, $BufferSize) }
        '.NET read+hash+write+fsync'          = { [PullStage]::Run($http, $url, $out, $true, $true, $true, $false, $BufferSize) }
        '.NET overlapped read+hash+write'     = { [PullStage]::Run($http, $url, $out, $true, $true, $false, $true, $BufferSize) }
        '.NET overlapped read+hash+write+fsync' = { [PullStage]::Run($http, $url, $out, $true, $true, $true, $true, $BufferSize) }
        'Get-KapsuleModel (in process)'       = { $null = Get-KapsuleModel -StorePath (Join-Path $Work 'dst-store') $ref }
    }
    foreach ($kib in $AlsoBufferKiB) {
        $stages[".NET read+hash+write+fsync, $kib KiB buffer"] = [scriptblock]::Create(
            "[PullStage]::Run(`$http, `$url, `$out, `$true, `$true, `$true, `$false, $($kib * 1024))")
        $stages[".NET overlapped read+hash+write+fsync, $kib KiB buffer"] = [scriptblock]::Create(
            "[PullStage]::Run(`$http, `$url, `$out, `$true, `$true, `$true, `$true, $($kib * 1024))")
    }
    # Warm-up: JIT every path once.
    $null = [PullStage]::Run($http, $url, $out, $true, $true, $true, $true, $BufferSize)
    $null = Get-KapsuleModel -StorePath (Join-Path $Work 'dst-store') $ref
    Remove-Item -LiteralPath (Join-Path $Work 'dst-store') -Recurse -Force

    $results = foreach ($name in $stages.Keys) {
        $walls = for ($i = 1; $i -le $Runs; $i++) {
            Remove-Item -LiteralPath $out, (Join-Path $Work 'dst-store') -Recurse -Force -ErrorAction SilentlyContinue
            Clear-PageCache
            $proc = [System.Diagnostics.Process]::GetCurrentProcess()
            $cpu0 = $proc.TotalProcessorTime
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $r = & $stages[$name]
            $sw.Stop()
            $proc.Refresh()
            if ($LASTEXITCODE) { throw "$name failed (exit $LASTEXITCODE)." }
            if ($r -is [string] -and $r.StartsWith('sha256:') -and $r -ne $digest) { throw "${name}: digest mismatch." }
            [pscustomobject]@{ Wall = $sw.Elapsed.TotalSeconds; Cpu = ($proc.TotalProcessorTime - $cpu0).TotalSeconds }
        }
        $sorted = @($walls | Sort-Object Wall)
        $median = $sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)]
        [pscustomobject]@{
            Stage     = $name
            'Wall s'  = [Math]::Round($median.Wall, 2)
            'MiB/s'   = [Math]::Round($SizeMiB / $median.Wall)
            'CPU s (this process)' = if ($name -like 'curl*') { '' } else { [Math]::Round($median.Cpu, 2) }
            Runs      = ($walls | ForEach-Object { $_.Wall.ToString('0.00') }) -join ' / '
        }
    }
    $results | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    "Blob: $SizeMiB MiB; median of $Runs; page cache dropped before each: $script:CanDrop"
}
finally {
    Stop-TestRegistry $reg
    $http.Dispose()
    Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue
}
