#Requires -Version 7.4
<#
.SYNOPSIS
    Side-by-side transfer benchmark on one loopback docker-registry: raw curl monolithic PUT/GET,
    skopeo copy of an equivalent image, and Kapsule push/pull. Writes bench/RESULTS.md.

.DESCRIPTION
    Every measured command runs as its own process under `/usr/bin/time -v` (wall time, user/sys CPU,
    maximum resident set size). Each figure is the median of -Runs runs.

    Fairness rules:
      * One registry process for everything; every measured push sends a freshly generated random file
        (a digest the registry has never seen) to a fresh repository, so nothing is skipped or deduplicated.
      * Before every measured command: `sync`, then drop the page cache when the kernel lets us (the
        source data is read cold by every tool), then one untimed warm-up of the tool's own binaries
        (curl --version, skopeo --version, PowerShell + Import-Module) so the tools start equally warm.
      * Kapsule runs in a fresh `dotnet pwsh -NoProfile` process; the same process with only
        Import-Module is measured too, so the transfer time can be separated (raw and net figures).
    Targets (judged on raw figures): Kapsule push <= 1.15x curl PUT; Kapsule pull <= 1.5x curl GET;
    Kapsule peak RSS flat between -SmallSizeMiB and -SizeMiB.

.EXAMPLE
    dotnet pwsh -NoProfile ./build.ps1 Bench
.EXAMPLE
    dotnet pwsh -NoProfile ./bench/Invoke-Bench.ps1 -ModulePath ./output/Kapsule/0.1.0/Kapsule.psd1 -SizeMiB 64 -Runs 1 -OutFile ./bench/work/quick.md
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [ValidateRange(1, 1048576)][int] $SizeMiB = 2048,
    [ValidateRange(1, 1048576)][int] $SmallSizeMiB = 256,
    [ValidateRange(1, 99)][int] $Runs = 5,
    [string] $OutFile = (Join-Path $PSScriptRoot 'RESULTS.md'),
    # Keep bench/work afterwards (default: deleted).
    [switch] $KeepWork
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
$ModulePath = (Resolve-Path $ModulePath).Path
$Work = Join-Path $PSScriptRoot 'work'
$Time = '/usr/bin/time'
foreach ($tool in $Time, 'curl', 'skopeo', 'docker-registry', 'sha256sum', 'bash') {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool is needed for the benchmark." }
}

if (Test-Path -LiteralPath $Work) { Remove-Item -LiteralPath $Work -Recurse -Force }
$null = New-Item -ItemType Directory -Path $Work
$Logs = New-Item -ItemType Directory -Path (Join-Path $Work 'logs')
# The test registry keeps its storage under the temp folder: put that in bench/work as well.
$env:TMPDIR = (New-Item -ItemType Directory -Path (Join-Path $Work 'tmp')).FullName

$env:KAPSULE_MODULE_PATH = $ModulePath
. (Join-Path $RepoRoot 'tests/common.ps1')                  # New-TestModelImage (imports the module here)
Import-Module (Join-Path $RepoRoot 'tests/TestHarness.psm1') -Force

$script:Seq = 0
$script:Samples = [System.Collections.Generic.List[object]]::new()
$script:CacheDrop = $null

# ------------------------------------------------------------------------------------------ helpers

function Write-Step([string] $Text) { Write-Host ("[{0:HH:mm:ss}] {1}" -f (Get-Date), $Text) }

function Invoke-Checked([string] $What, [scriptblock] $Command) {
    $out = & $Command 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit $LASTEXITCODE): $($out -join "`n")" }
    return $out
}

function Clear-PageCache {
    # sync always; drop the page cache when allowed (root and a writable /proc/sys/vm/drop_caches).
    & sync
    if ($script:CacheDrop -eq $false) { return }
    try {
        [System.IO.File]::WriteAllText('/proc/sys/vm/drop_caches', "3`n")
        $script:CacheDrop = $true
    }
    catch {
        $script:CacheDrop = $false
        Write-Step "Cannot drop the page cache ($($_.Exception.Message)); warming up equally instead."
    }
}

function New-RandomFile([string] $Path, [long] $MiB) {
    # Kernel CSPRNG: incompressible, and a digest no earlier run produced.
    Invoke-Checked 'head /dev/urandom' { & bash -c 'head -c "$1" /dev/urandom > "$2"' random ($MiB * 1MB) $Path } | Out-Null
    if ((Get-Item -LiteralPath $Path).Length -ne $MiB * 1MB) { throw "Short random file $Path." }
    return $Path
}

function Get-Sha256([string] $Path) {
    $s = [System.IO.File]::OpenRead($Path)
    try { return 'sha256:' + [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($s)).ToLowerInvariant() }
    finally { $s.Dispose() }
}

function Convert-Elapsed([string] $Text) {
    # /usr/bin/time: "h:mm:ss" or "m:ss.ss"
    $parts = $Text.Trim().Split(':')
    $seconds = 0.0
    foreach ($p in $parts) { $seconds = $seconds * 60 + [double]::Parse($p, [Globalization.CultureInfo]::InvariantCulture) }
    return $seconds
}

function Measure-Process {
    <#
        Runs Argv under /usr/bin/time -v after sync + cache drop + warm-up. Returns (and records) a sample:
        Tool, Operation, SizeMiB, Run, Wall, User, Sys, RssMiB, Log. Throws on a non-zero exit.
    #>
    param(
        [string] $Tool, [string] $Operation, [int] $SizeMiB, [int] $Run,
        [string[]] $Argv, [scriptblock] $WarmUp, [switch] $NoRecord
    )
    Clear-PageCache
    if ($WarmUp) { & $WarmUp *> $null }
    $script:Seq++
    $stem = Join-Path $Logs ('{0:D3}-{1}-{2}' -f $script:Seq, $Tool, ($Operation -replace '[^A-Za-z0-9]+', '-'))
    $timeFile = "$stem.time"
    $exe = $Argv[0]; $rest = @($Argv | Select-Object -Skip 1)
    & $Time -v -o $timeFile $exe @rest > "$stem.out" 2> "$stem.err"
    $code = $LASTEXITCODE
    $t = Get-Content -LiteralPath $timeFile
    if ($code -ne 0) {
        throw "$Tool $Operation failed (exit $code):`n$((Get-Content "$stem.err" -Tail 20) -join "`n")`n$((Get-Content "$stem.out" -Tail 20) -join "`n")"
    }
    function Field([string] $Name) {
        $line = $t | Where-Object { $_.TrimStart().StartsWith($Name) } | Select-Object -First 1
        if (-not $line) { throw "No '$Name' in /usr/bin/time output $timeFile." }
        return $line.Substring($line.LastIndexOf(': ') + 2).Trim()
    }
    $inv = [Globalization.CultureInfo]::InvariantCulture
    $sample = [pscustomobject]@{
        Tool      = $Tool
        Operation = $Operation
        SizeMiB   = $SizeMiB
        Run       = $Run
        Wall      = Convert-Elapsed (Field 'Elapsed (wall clock) time')
        User      = [double]::Parse((Field 'User time (seconds)'), $inv)
        Sys       = [double]::Parse((Field 'System time (seconds)'), $inv)
        RssMiB    = [double](Field 'Maximum resident set size (kbytes)') / 1024
        InProc    = [double]::NaN
        Log       = $stem
    }
    # Kapsule commands print the cmdlet's own duration, timed inside the process.
    $inproc = Get-Content -LiteralPath "$stem.out" | Where-Object { $_ -match '^CMDLET_SECONDS=' } | Select-Object -First 1
    if ($inproc) { $sample.InProc = [double]::Parse(($inproc -replace '^CMDLET_SECONDS=', ''), $inv) }
    if (-not $NoRecord) { $script:Samples.Add($sample) }
    Write-Step ("  {0,-8} {1,-34} {2,5} MiB  run {3}: {4,7:N2} s  user {5,6:N2}  sys {6,6:N2}  RSS {7,7:N1} MiB" -f
        $Tool, $Operation, $SizeMiB, $Run, $sample.Wall, $sample.User, $sample.Sys, $sample.RssMiB)
    return $sample
}

function Get-Median([double[]] $Values) {
    $v = @($Values | Sort-Object)
    if ($v.Count -eq 0) { return [double]::NaN }
    $m = [int][Math]::Floor($v.Count / 2)
    if ($v.Count % 2) { return $v[$m] }
    return ($v[$m - 1] + $v[$m]) / 2
}

# The way the brief runs Kapsule: the repository's local dotnet tool (needs the repository as working directory).
$Pwsh = @('dotnet', 'pwsh', '-NoProfile', '-NonInteractive', '-Command')
$ImportLine = "`$ErrorActionPreference = 'Stop'; Import-Module '$($ModulePath -replace "'", "''")'"
$StartClock = '$kapsuleClock = [System.Diagnostics.Stopwatch]::StartNew()'
$StopClock = '"CMDLET_SECONDS=$($kapsuleClock.Elapsed.TotalSeconds.ToString([cultureinfo]::InvariantCulture))"'
$WarmPwsh = { Push-Location $RepoRoot; try { & dotnet pwsh -NoProfile -NonInteractive -Command "$ImportLine; [void][Kapsule.Content.OciLayoutStore]" } finally { Pop-Location } }
$WarmCurl = { & curl --version }
$WarmSkopeo = { & skopeo --version }

function Get-UploadLocation([string] $Registry, [string] $Repository) {
    $headers = Invoke-Checked 'POST blobs/uploads' { & curl -sS -f -D - -o /dev/null -X POST "$Registry/v2/$Repository/blobs/uploads/" }
    $loc = ($headers | Where-Object { $_ -match '^Location:\s*(\S+)' } | Select-Object -First 1)
    if (-not $loc) { throw "No Location header for $Repository." }
    $loc = ($loc -replace '^Location:\s*', '').Trim()
    if ($loc -notmatch '^https?://') { $loc = "$Registry$loc" }
    return $loc
}

function New-SkopeoLayout([string] $Folder, [string] $LayerFile, [string] $Tag) {
    <# An OCI layout holding the same kind of image New-TestModelImage builds: one raw model-weight layer. #>
    $blobs = New-Item -ItemType Directory -Path (Join-Path $Folder 'blobs/sha256') -Force
    $layerDigest = Get-Sha256 $LayerFile
    $layerSize = (Get-Item -LiteralPath $LayerFile).Length
    Move-Item -LiteralPath $LayerFile -Destination (Join-Path $blobs $layerDigest.Substring(7))
    function Add-Blob([string] $Json) {
        $bytes = [Text.Encoding]::UTF8.GetBytes($Json)
        $d = 'sha256:' + [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($bytes)).ToLowerInvariant()
        [System.IO.File]::WriteAllBytes((Join-Path $blobs $d.Substring(7)), $bytes)
        return @{ digest = $d; size = $bytes.Length }
    }
    $config = Add-Blob (@{ descriptor = @{ name = $Tag }; modelfs = @{ type = 'layers'; diffIds = @($layerDigest) } } | ConvertTo-Json -Compress -Depth 5)
    $manifest = Add-Blob ([ordered]@{
            schemaVersion = 2
            mediaType     = 'application/vnd.oci.image.manifest.v1+json'
            artifactType  = 'application/vnd.cncf.model.manifest.v1+json'
            config        = [ordered]@{ mediaType = 'application/vnd.cncf.model.config.v1+json'; digest = $config.digest; size = $config.size }
            layers        = @([ordered]@{ mediaType = 'application/vnd.cncf.model.weight.v1.raw'; digest = $layerDigest; size = $layerSize
                    annotations = @{ 'org.opencontainers.image.title' = 'weights.bin' } })
        } | ConvertTo-Json -Compress -Depth 6)
    $index = [ordered]@{
        schemaVersion = 2
        manifests     = @([ordered]@{ mediaType = 'application/vnd.oci.image.manifest.v1+json'; digest = $manifest.digest; size = $manifest.size
                annotations = @{ 'org.opencontainers.image.ref.name' = $Tag } })
    }
    [System.IO.File]::WriteAllText((Join-Path $Folder 'index.json'), ($index | ConvertTo-Json -Compress -Depth 6))
    [System.IO.File]::WriteAllText((Join-Path $Folder 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
    return [pscustomobject]@{ LayerDigest = $layerDigest; LayerSize = $layerSize; ManifestDigest = $manifest.digest }
}

function Get-RegistryManifest([string] $Registry, [string] $Repository, [string] $Tag) {
    $json = Invoke-Checked 'GET manifest' {
        & curl -sS -f -H 'Accept: application/vnd.oci.image.manifest.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "$Registry/v2/$Repository/manifests/$Tag"
    }
    return ($json -join "`n") | ConvertFrom-Json
}

# ---------------------------------------------------------------------------------- one tool, one run

function Invoke-CurlRun([string] $Registry, [int] $MiB, [int] $Run) {
    $repo = "bench/curl-$MiB-r$Run"
    $file = New-RandomFile (Join-Path $Work "curl-src.bin") $MiB
    $digest = Get-Sha256 $file
    $location = Get-UploadLocation $Registry $repo
    $put = "$location$(if ($location.Contains('?')) { '&' } else { '?' })digest=$([uri]::EscapeDataString($digest))"
    $s = Measure-Process curl 'PUT (monolithic)' $MiB $Run -WarmUp $WarmCurl -Argv @(
        'curl', '-sS', '-f', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '-H', 'Content-Type: application/octet-stream', '-T', $file, $put)
    $code = (Get-Content "$($s.Log).out" -Raw).Trim()
    if ($code -ne '201') { throw "curl PUT answered $code." }
    Remove-Item -LiteralPath $file

    $blobUrl = "$Registry/v2/$repo/blobs/$digest"
    $out = Join-Path $Work 'curl-get.bin'
    $null = Measure-Process curl 'GET' $MiB $Run -WarmUp $WarmCurl -Argv @('curl', '-sS', '-f', '-o', $out, $blobUrl)
    if ((Get-Item -LiteralPath $out).Length -ne $MiB * 1MB) { throw 'curl GET: wrong size.' }
    Remove-Item -LiteralPath $out

    $s = Measure-Process curl 'GET, then sha256sum' $MiB $Run -WarmUp { & curl --version; & sha256sum --version } -Argv @(
        'bash', '-c', 'curl -sS -f -o "$1" "$2" && sha256sum "$1"', 'bench', $out, $blobUrl)
    if (-not (Get-Content "$($s.Log).out" -Raw).StartsWith($digest.Substring(7))) { throw 'curl GET + sha256sum: digest mismatch.' }
    Remove-Item -LiteralPath $out

    $s = Measure-Process curl 'GET | tee | sha256sum (streamed)' $MiB $Run -WarmUp { & curl --version; & sha256sum --version } -Argv @(
        'bash', '-o', 'pipefail', '-c', 'curl -sS -f "$2" | tee "$1" | sha256sum', 'bench', $out, $blobUrl)
    if (-not (Get-Content "$($s.Log).out" -Raw).StartsWith($digest.Substring(7))) { throw 'curl | sha256sum: digest mismatch.' }
    if ((Get-Item -LiteralPath $out).Length -ne $MiB * 1MB) { throw 'curl | tee: wrong size.' }
    Remove-Item -LiteralPath $out
}

$script:SkopeoNote = $null
function Invoke-SkopeoRun([string] $Registry, [string] $HostPort, [int] $MiB, [int] $Run) {
    $repo = "bench/skopeo-$MiB-r$Run"
    $layout = Join-Path $Work 'skopeo-src'
    $src = New-SkopeoLayout $layout (New-RandomFile (Join-Path $Work 'skopeo-src.bin') $MiB) 'bench'
    $null = Measure-Process skopeo 'push (copy oci: -> docker://)' $MiB $Run -WarmUp $WarmSkopeo -Argv @(
        'skopeo', 'copy', '--quiet', '--dest-tls-verify=false', "oci:${layout}:bench", "docker://$HostPort/${repo}:bench")
    Remove-Item -LiteralPath $layout -Recurse -Force

    $m = Get-RegistryManifest $Registry $repo 'bench'
    $layer = @($m.layers)[0]
    $asIs = $layer.mediaType -eq 'application/vnd.cncf.model.weight.v1.raw' -and $layer.digest -eq $src.LayerDigest -and $layer.size -eq $src.LayerSize
    if (-not $asIs) {
        $script:SkopeoNote = "skopeo CHANGED the layer: pushed $($layer.mediaType) $($layer.digest) ($($layer.size) bytes) for application/vnd.cncf.model.weight.v1.raw $($src.LayerDigest) ($($src.LayerSize) bytes)."
    }
    elseif (-not $script:SkopeoNote) {
        $script:SkopeoNote = 'skopeo copied the `application/vnd.cncf.model.weight.v1.raw` layer as-is (same media type, digest and size in the registry, checked after every push; no gzip). ' +
        "Manifest pushed: $(if ($m.PSObject.Properties['mediaType']) { $m.mediaType } else { 'no mediaType' })" +
        "$(if ($m.PSObject.Properties['artifactType']) { ", artifactType $($m.artifactType)" } else { ', artifactType dropped' })."
    }

    $dest = Join-Path $Work 'skopeo-dst'
    $null = Measure-Process skopeo 'pull (copy docker:// -> oci:)' $MiB $Run -WarmUp $WarmSkopeo -Argv @(
        'skopeo', 'copy', '--quiet', '--src-tls-verify=false', "docker://$HostPort/${repo}:bench", "oci:${dest}:bench")
    $got = Join-Path $dest ('blobs/sha256/' + $src.LayerDigest.Substring(7))
    if (-not (Test-Path -LiteralPath $got) -or (Get-Item -LiteralPath $got).Length -ne $src.LayerSize) { throw 'skopeo pull: layer missing or wrong size.' }
    Remove-Item -LiteralPath $dest -Recurse -Force
}

function Invoke-KapsuleRun([string] $HostPort, [int] $MiB, [int] $Run) {
    $ref = "$HostPort/bench/kapsule-$MiB-r${Run}:bench"
    $store = Join-Path $Work 'kapsule-src'
    $file = New-RandomFile (Join-Path $Work 'weights.bin') $MiB
    $null = New-TestModelImage -StorePath $store -Reference $ref -Files $file
    Remove-Item -LiteralPath $file
    $q = { param($s) "'" + ($s -replace "'", "''") + "'" }
    Push-Location $RepoRoot
    try {
        $null = Measure-Process kapsule 'push (Publish-KapsuleImage)' $MiB $Run -WarmUp $WarmPwsh -Argv ($Pwsh + @(
                "$ImportLine; $StartClock; Publish-KapsuleImage -StorePath $(& $q $store) $(& $q $ref) -Destination $(& $q $ref); $StopClock"))
        Remove-Item -LiteralPath $store -Recurse -Force
        $dest = Join-Path $Work 'kapsule-dst'
        $null = Measure-Process kapsule 'pull (Get-KapsuleModel)' $MiB $Run -WarmUp $WarmPwsh -Argv ($Pwsh + @(
                "$ImportLine; $StartClock; `$null = Get-KapsuleModel -StorePath $(& $q $dest) $(& $q $ref); $StopClock"))
    }
    finally { Pop-Location }
    $blobs = @(Get-ChildItem -LiteralPath (Join-Path $dest 'blobs/sha256') -File | Where-Object Length -EQ ($MiB * 1MB))
    if ($blobs.Count -ne 1) { throw 'Kapsule pull: the layer is not in the store.' }
    Remove-Item -LiteralPath $dest -Recurse -Force
}

function Invoke-StartupRun([int] $Run) {
    Push-Location $RepoRoot
    try {
        $null = Measure-Process kapsule 'startup (pwsh + Import-Module)' 0 $Run -WarmUp $WarmPwsh -Argv ($Pwsh + @($ImportLine))
    }
    finally { Pop-Location }
}

# ------------------------------------------------------------------------------------------------ run

$started = Get-Date
$registry = $null
try {
    $registry = Start-TestRegistry
    Write-Step "Registry up (one process for the whole benchmark); $SizeMiB MiB and $SmallSizeMiB MiB, $Runs run(s)."
    for ($run = 1; $run -le $Runs; $run++) {
        Write-Step "Run $run of $Runs"
        Invoke-StartupRun $run
        Invoke-CurlRun $registry.Url $SizeMiB $run
        Invoke-SkopeoRun $registry.Url $registry.HostPort $SizeMiB $run
        Invoke-KapsuleRun $registry.HostPort $SizeMiB $run
        Invoke-StartupRun $run
        if ($SmallSizeMiB -ne $SizeMiB) {
            Invoke-CurlRun $registry.Url $SmallSizeMiB $run
            Invoke-KapsuleRun $registry.HostPort $SmallSizeMiB $run
        }
    }

    # ---------------------------------------------------------------------------------------- versions
    Push-Location $RepoRoot
    try {
        $pwshInfo = & dotnet pwsh -NoProfile -NonInteractive -Command '"$($PSVersionTable.PSVersion)|$([System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription)"'
        $commit = (& git -C $RepoRoot rev-parse --short HEAD 2>$null)
        $dirty = if (& git -C $RepoRoot status --porcelain -- src module 2>$null) { ' (with uncommitted changes in src/ or module/)' } else { '' }
    }
    finally { Pop-Location }
    $pwshVersion, $dotnetVersion = "$pwshInfo".Trim().Split('|')
$dotnetVersion = $dotnetVersion -replace '^\.NET\s+', ''
    $versions = [ordered]@{
        'curl'            = ((& curl --version)[0] -split ' ')[1]
        'skopeo'          = ((& skopeo --version).Trim() -split ' ')[-1]
        'docker-registry' = ((& docker-registry --version) -replace '^.*distribution\s*', 'distribution ').Trim()
        'sha256sum'       = ((& sha256sum --version)[0] -replace '^sha256sum\s*', '').Trim()
        'PowerShell'      = $pwshVersion
        '.NET'            = $dotnetVersion
        'Kapsule'         = "$((Import-PowerShellDataFile $ModulePath).ModuleVersion), commit $commit$dirty, Release build"
    }
    $memKiB = [long]((Get-Content /proc/meminfo | Where-Object { $_ -like 'MemTotal:*' }) -replace '\D', '')
    $cpu = ((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '^.*:\s*', '').Trim()
    $cpuFlags = (Get-Content /proc/cpuinfo | Where-Object { $_ -like 'flags*' } | Select-Object -First 1)
    $shaNi = if ($cpuFlags -match '\bsha_ni\b') { 'with SHA extensions' } else { 'without SHA extensions' }
    $machine = "$([Environment]::ProcessorCount) cores ($cpu, $shaNi), $([Math]::Round($memKiB / 1MB)) GiB RAM, Linux $([Environment]::OSVersion.Version), ext4 on a virtual disk, loopback registry (plain HTTP)"
}
finally {
    if ($registry) { Stop-TestRegistry $registry }
}

# -------------------------------------------------------------------------------------------- report

$inv = [Globalization.CultureInfo]::InvariantCulture
function F([double] $v, [string] $fmt = '0.00') { if ([double]::IsNaN($v)) { 'n/a' } else { $v.ToString($fmt, $inv) } }

function Get-Stat([string] $Tool, [string] $Operation, [int] $MiB) {
    $s = @($script:Samples | Where-Object { $_.Tool -eq $Tool -and $_.Operation -eq $Operation -and $_.SizeMiB -eq $MiB })
    if ($s.Count -eq 0) { return $null }
    [pscustomobject]@{
        Wall   = Get-Median ($s.Wall)
        Cpu    = Get-Median ($s | ForEach-Object { $_.User + $_.Sys })
        User   = Get-Median ($s.User)
        Sys    = Get-Median ($s.Sys)
        Rss    = Get-Median ($s.RssMiB)
        RssMax = ($s.RssMiB | Measure-Object -Maximum).Maximum
        InProc = Get-Median ($s.InProc | Where-Object { -not [double]::IsNaN($_) })
        Walls  = ($s | Sort-Object Run | ForEach-Object { F $_.Wall }) -join ' / '
    }
}

$startup = Get-Stat kapsule 'startup (pwsh + Import-Module)' 0
$curlPut = Get-Stat curl 'PUT (monolithic)' $SizeMiB
$curlGet = Get-Stat curl 'GET' $SizeMiB
$rows = @(
    ,@('curl', 'PUT (monolithic)', 'push', 'raw')
    ,@('skopeo', 'push (copy oci: -> docker://)', 'push', 'raw')
    ,@('kapsule', 'push (Publish-KapsuleImage)', 'push', 'raw')
    ,@('kapsule', 'push (Publish-KapsuleImage)', 'push', 'net')
    ,@('kapsule', 'push (Publish-KapsuleImage)', 'push', 'inproc')
    ,@('curl', 'GET', 'pull', 'raw')
    ,@('curl', 'GET, then sha256sum', 'pull', 'raw')
    ,@('curl', 'GET | tee | sha256sum (streamed)', 'pull', 'raw')
    ,@('skopeo', 'pull (copy docker:// -> oci:)', 'pull', 'raw')
    ,@('kapsule', 'pull (Get-KapsuleModel)', 'pull', 'raw')
    ,@('kapsule', 'pull (Get-KapsuleModel)', 'pull', 'net')
    ,@('kapsule', 'pull (Get-KapsuleModel)', 'pull', 'inproc')
)
$table = [System.Collections.Generic.List[string]]::new()
$table.Add('| Tool | Operation | Wall s (median) | MiB/s | CPU user+sys s | Peak RSS MiB | Ratio to curl | Runs (wall s) |')
$table.Add('|---|---|---:|---:|---:|---:|---:|---|')
$ratios = @{}
foreach ($r in $rows) {
    $tool, $op, $kind, $mode = $r
    $st = Get-Stat $tool $op $SizeMiB
    if (-not $st) { continue }
    $wall = switch ($mode) { 'net' { $st.Wall - $startup.Wall } 'inproc' { $st.InProc } default { $st.Wall } }
    $base = if ($kind -eq 'push') { $curlPut.Wall } else { $curlGet.Wall }
    $ratio = $wall / $base
    $ratios["$tool|$op|$mode"] = $ratio
    $label = switch ($mode) { 'net' { "$op, net of startup" } 'inproc' { "$op, cmdlet only (timed inside the process)" } default { $op } }
    $label = $label -replace '\|', '\|'
    $cpu = switch ($mode) { 'net' { F ($st.Cpu - $startup.Cpu) } 'inproc' { '' } default { F $st.Cpu } }
    $rss = if ($mode -eq 'raw') { F $st.Rss '0' } else { '' }
    $walls = if ($mode -eq 'raw') { $st.Walls } else { '' }
    $table.Add("| $tool | $label | $(F $wall) | $(F ($SizeMiB / $wall) '0') | $cpu | $rss | $(F $ratio)x | $walls |")
}
$table.Add("| kapsule | startup only (dotnet pwsh + Import-Module) | $(F $startup.Wall) | | $(F $startup.Cpu) | $(F $startup.Rss '0') | | $($startup.Walls) |")

$mem = [System.Collections.Generic.List[string]]::new()
$mem.Add("| Kapsule operation | Peak RSS MiB, $SmallSizeMiB MiB blob | Peak RSS MiB, $SizeMiB MiB blob | Growth | Wall s, $SmallSizeMiB MiB | Wall s, $SizeMiB MiB |")
$mem.Add('|---|---:|---:|---:|---:|---:|')
$memGrowth = @{}
foreach ($op in 'push (Publish-KapsuleImage)', 'pull (Get-KapsuleModel)') {
    $small = Get-Stat kapsule $op $SmallSizeMiB
    $big = Get-Stat kapsule $op $SizeMiB
    if (-not $small -or -not $big) { continue }
    $memGrowth[$op] = $big.Rss - $small.Rss
    $mem.Add("| $op | $(F $small.Rss '0') | $(F $big.Rss '0') | $(F ($big.Rss - $small.Rss) '+0;-0;0') MiB | $(F $small.Wall) | $(F $big.Wall) |")
}
$mem.Add("| startup only (pwsh + Import-Module) | $(F $startup.Rss '0') | | | | |")
$curlSmallPut = Get-Stat curl 'PUT (monolithic)' $SmallSizeMiB
$curlSmallGet = Get-Stat curl 'GET' $SmallSizeMiB
$curlBigPutRss = $curlPut.Rss

$pushRatio = $ratios['kapsule|push (Publish-KapsuleImage)|raw']
$pushNetRatio = $ratios['kapsule|push (Publish-KapsuleImage)|net']
$pushInRatio = $ratios['kapsule|push (Publish-KapsuleImage)|inproc']
$pullRatio = $ratios['kapsule|pull (Get-KapsuleModel)|raw']
$pullNetRatio = $ratios['kapsule|pull (Get-KapsuleModel)|net']
$pullInRatio = $ratios['kapsule|pull (Get-KapsuleModel)|inproc']
function Verdict([double] $ratio, [double] $target) {
    if ($ratio -le $target) { "**met** ($(F $ratio)x, target $(F $target)x)" } else { "**missed** ($(F $ratio)x, target $(F $target)x; $(F (($ratio / $target - 1) * 100) '0')% over)" }
}
$flat = @($memGrowth.Values | Where-Object { [Math]::Abs($_) -gt 32 }).Count -eq 0

$defaults = $SizeMiB -eq 2048 -and $SmallSizeMiB -eq 256 -and $Runs -eq 5
$command = if ($defaults) { 'dotnet pwsh -NoProfile ./build.ps1 Bench' } else {
    "dotnet pwsh -NoProfile ./bench/Invoke-Bench.ps1 -ModulePath ./output/Kapsule/<version>/Kapsule.psd1 -SizeMiB $SizeMiB -SmallSizeMiB $SmallSizeMiB -Runs $Runs"
}
$cacheText = switch ($script:CacheDrop) {
    $true { 'Before every measured command: `sync`, then the page cache was dropped (`echo 3 > /proc/sys/vm/drop_caches`), so every tool read its source data cold (the registry too, when serving a pull); then one untimed warm-up of the tool itself (`curl --version`, `skopeo --version`, or `dotnet pwsh` + Import-Module) so all tools start with their own binaries equally warm.' }
    default { 'Dropping the page cache was not permitted here; before every measured command: `sync`, then one untimed warm-up of the tool itself. Source files were freshly written, so every tool read them from the page cache equally.' }
}
$duration = (Get-Date) - $started

$md = @"
# Transfer benchmark: curl vs skopeo vs Kapsule

Generated $(Get-Date -Format 'yyyy-MM-dd HH:mm') (local time) by ``bench/Invoke-Bench.ps1``, in $([int]$duration.TotalMinutes) min.

**Command:** ``$command``
(the Bench task builds the module in Release and runs ``bench/Invoke-Bench.ps1 -ModulePath <built Kapsule.psd1>``
with the defaults ``-SizeMiB 2048 -SmallSizeMiB 256 -Runs 5``).

**Machine:** $machine.

**Versions:** $(($versions.GetEnumerator() | ForEach-Object { "$($_.Key) $($_.Value)" }) -join '; ').

## Method

- One ``docker-registry`` process (filesystem storage on the same disk, plain HTTP on 127.0.0.1) serves every
  measurement. **Every measured push sends a freshly generated file** of random bytes (kernel CSPRNG) to a
  fresh repository, so the registry has never seen the digest: nothing is skipped by a HEAD check and nothing
  is deduplicated or mounted. Each pull fetches the blob that the same tool pushed in the same run.
- Every measured command is its own process under ``/usr/bin/time -v``: wall time, user and system CPU of
  the process and its children, and "Maximum resident set size" (the largest single process in the tree).
  Each figure is the **median of $Runs runs**; the per-run wall times are in the last column.
- $cacheText
- **curl**: ``POST /v2/<repo>/blobs/uploads/`` (untimed) for the Location, then the timed
  ``curl -T <file> -X PUT "<location>&digest=sha256:..."`` (one monolithic request). curl is *given* the
  digest: computing it is not in curl's time (the ``GET, then sha256sum`` row minus the ``GET`` row shows what
  ``sha256sum`` takes for $SizeMiB MiB here). **GET** is ``curl -o <file> /v2/<repo>/blobs/<digest>`` with no
  verification; two fairer variants add verification: ``GET, then sha256sum`` (one after the other) and
  ``GET | tee | sha256sum`` (streamed, like Kapsule). ``sha256sum`` (coreutils) does not use the CPU's SHA
  extensions, so these two lines mostly measure sha256sum's speed.
- **skopeo**: an OCI layout with the same kind of image as Kapsule's (config
  ``application/vnd.cncf.model.config.v1+json``, one ``application/vnd.cncf.model.weight.v1.raw`` layer of the
  same size), ``skopeo copy oci:<layout>:bench docker://<registry>/<repo>:bench --dest-tls-verify=false`` (push)
  and ``skopeo copy docker://... oci:<empty folder>:bench --src-tls-verify=false`` (pull; skopeo verifies the
  digest). $script:SkopeoNote
- **Kapsule**: the image is put in a store with ``[Kapsule.Content.ImageAssembler]`` (untimed), then
  ``dotnet pwsh -NoProfile -NonInteractive -Command "Import-Module <psd1>; Publish-KapsuleImage -StorePath <store> <ref> -Destination <ref>"``
  (push, default upload mode: one monolithic PUT; the source blob is not re-hashed) and
  ``... Get-KapsuleModel -StorePath <empty store> <ref>`` (pull: streams into a partial file while hashing
  with SHA-256, fsyncs, checks size and digest, then renames into the store). The same process with only
  ``Import-Module`` is measured as **startup** (twice per run); "net of startup" rows subtract its median wall
  time and CPU. "cmdlet only" rows are the cmdlet's own duration, timed with a stopwatch inside the same process
  (from after Import-Module to the cmdlet's return).
  Progress reporting is left at its default.

## Results, $SizeMiB MiB blob

$($table -join "`n")

Push ratios are to curl's PUT; pull ratios to curl's plain GET (no verification). **The targets are judged on
the raw figures** (a user runs the whole process); net figures show the transfer alone.

## Memory: $SmallSizeMiB MiB vs $SizeMiB MiB

$($mem -join "`n")

For comparison, curl's peak RSS: PUT $(F $curlBigPutRss '0') MiB, GET $(F $curlGet.Rss '0') MiB at $SizeMiB MiB$(if ($curlSmallPut) { "; PUT $(F $curlSmallPut.Rss '0') MiB, GET $(F $curlSmallGet.Rss '0') MiB at $SmallSizeMiB MiB" }).

## Reading

- **Push within 1.15x of curl's PUT:** $(Verdict $pushRatio 1.15) on raw figures; net of startup $(F $pushNetRatio)x; cmdlet alone $(F $pushInRatio)x.
- **Pull (with digest verification) within 1.5x of curl's GET:** $(Verdict $pullRatio 1.5) on raw figures; net of startup $(F $pullNetRatio)x; cmdlet alone $(F $pullInRatio)x.
- **Peak memory flat:** $(if ($flat) { '**met**' } else { '**missed**' }) (growth from $SmallSizeMiB MiB to $SizeMiB MiB: push $(F $memGrowth['push (Publish-KapsuleImage)'] '+0;-0;0') MiB, pull $(F $memGrowth['pull (Get-KapsuleModel)'] '+0;-0;0') MiB; flat means within 32 MiB).

ANALYSIS_PLACEHOLDER
"@

$outDir = Split-Path -Parent ([System.IO.Path]::GetFullPath($OutFile))
if (-not (Test-Path $outDir)) { $null = New-Item -ItemType Directory -Path $outDir }
# Keep a hand-written analysis section when the file is regenerated.
$analysis = '<!-- analysis: anything below this line is kept when the benchmark rewrites the file -->'
if (Test-Path -LiteralPath $OutFile) {
    $old = Get-Content -LiteralPath $OutFile -Raw
    $i = $old.IndexOf($analysis)
    if ($i -ge 0) { $analysis = $old.Substring($i).TrimEnd() }
}
$md = $md.Replace('ANALYSIS_PLACEHOLDER', $analysis)
[System.IO.File]::WriteAllText([System.IO.Path]::GetFullPath($OutFile), $md.Replace("`r`n", "`n") + "`n")
$script:Samples | Export-Csv -NoTypeInformation -Path (Join-Path $Work 'samples.csv')
Write-Step "Wrote $OutFile"

if (-not $KeepWork) {
    Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue
}
