# Dot-sourced by every *.Tests.ps1: imports the BUILT module (build.ps1 sets KAPSULE_MODULE_PATH)
# and offers small helpers that the tests share.
$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
$script:Fixtures = Join-Path $script:RepoRoot 'test_fixtures'
$modulePath = if ($env:KAPSULE_MODULE_PATH) { $env:KAPSULE_MODULE_PATH } else {
    Get-ChildItem (Join-Path $script:RepoRoot 'output/Kapsule') -Filter Kapsule.psd1 -Recurse | Select-Object -First 1 -ExpandProperty FullName
}
if (-not $modulePath) { throw 'The module is not built: run ./build.ps1 Build first.' }
$script:KapsuleModulePath = $modulePath
Import-Module $modulePath -Force -ErrorAction Stop

function New-TestFolder([string] $Name = 'kapsule') {
    # Inside Pester, under TestDrive, which Pester deletes after each test file: stores full of blobs never pile up.
    $root = if (Get-Variable -Name TestDrive -ValueOnly -ErrorAction Ignore) { $TestDrive } else { [IO.Path]::GetTempPath() }
    $p = Join-Path $root ("$Name-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $p -Force | Out-Null
    return $p
}

function Get-PwshCommandLine {
    # How to start another PowerShell like this one: the apphost, else `dotnet pwsh.dll`.
    foreach ($n in 'pwsh', 'pwsh.exe') {
        $c = Join-Path $PSHOME $n
        if (Test-Path -LiteralPath $c -PathType Leaf) { return , @($c) }
    }
    return , @('dotnet', (Join-Path $PSHOME 'pwsh.dll'))
}

function New-TestModelImage {
    # Packs the given files as a ModelPack image through the store API (used until Build-KapsuleImage exists).
    param([string] $StorePath, [string] $Reference, [string[]] $Files)
    $ct = [Threading.CancellationToken]::None
    $s = [Kapsule.Content.OciLayoutStore]::new($StorePath)
    $asm = [Kapsule.Content.ImageAssembler]::new($s, $ct)
    try {
        $ids = foreach ($f in $Files) {
            $asm.AddFileAsync($f, 'application/vnd.cncf.model.weight.v1.raw', (Split-Path $f -Leaf), $null, $ct).GetAwaiter().GetResult().Digest.ToString()
        }
        $config = @{ descriptor = @{ name = $Reference }; modelfs = @{ type = 'layers'; diffIds = @($ids) } } | ConvertTo-Json -Compress
        $asm.CommitAsync($Reference, [Text.Encoding]::UTF8.GetBytes($config), 'application/vnd.cncf.model.config.v1+json',
            'application/vnd.oci.image.manifest.v1+json', 'application/vnd.cncf.model.manifest.v1+json', $null, $ct).GetAwaiter().GetResult()
    }
    finally { $asm.Dispose() }
}

function New-TestCredential([string] $UserName, [string] $Password) {
    [pscredential]::new($UserName, (ConvertTo-SecureString $Password -AsPlainText -Force))
}
