#Requires -Version 7.4
<#
.SYNOPSIS
    Test harness for the Pester suites: a real docker-registry (plain, Basic, TLS, token auth) on a free
    loopback port, a token issuer and a fault-injecting proxy (tests/Kapsule.TestServers).

.DESCRIPTION
    Public functions:
      Start-TestRegistry  [-BasicAuth] [-Tls] [-TokenAuth] [-AnonymousPull] [-UserName u] [-Password p] [-Port n] [-TimeoutSeconds 20]
      Stop-TestRegistry   -Registry <object from Start-TestRegistry>      (also $reg.Stop())
      Start-FaultProxy    -Target <url|registry> [-FailEvery n] [-DropEvery m] [-Seed s] [-CutAfterBytes N] [-CutCount K] [-Match regex] [-RetryAfter 0]
      Stop-FaultProxy     -Proxy <object from Start-FaultProxy>          (also $proxy.Stop())
      Get-FaultProxyStats -Proxy <proxy>
      Get-TestRegistryToken -Registry <reg> [-Scope 'repository:x:pull,push'...] [-UserName] [-Password] [-Anonymous]
      Get-TokenIssuerStats -Registry <reg>
      Initialize-TestServer        (builds tests/Kapsule.TestServers once into output/testservers)
      Get-FreeLoopbackPort

    Linux only (docker-registry, htpasswd and curl from Debian). Everything binds 127.0.0.1.
#>

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$script:RepoRoot = Split-Path -Parent $PSScriptRoot
$script:ServersProject = Join-Path $PSScriptRoot 'Kapsule.TestServers/Kapsule.TestServers.csproj'
$script:ServersDir = Join-Path $script:RepoRoot 'output/testservers'
$script:ServersDll = Join-Path $script:ServersDir 'Kapsule.TestServers.dll'

function Get-FreeLoopbackPort {
    <# Binds a TcpListener to 127.0.0.1:0, reads the port the OS chose, releases it. #>
    [OutputType([int])]
    param()
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    try {
        $listener.Start()
        return ([System.Net.IPEndPoint]$listener.LocalEndpoint).Port
    }
    finally {
        $listener.Stop()
    }
}

function Initialize-TestServer {
    <# Builds Kapsule.TestServers into output/testservers unless the dll is newer than every source. Returns the dll path. #>
    [OutputType([string])]
    param([switch]$Force)

    $mutex = [System.Threading.Mutex]::new($false, 'KapsuleTestServersBuild')
    try {
        try { [void]$mutex.WaitOne([TimeSpan]::FromMinutes(5)) } catch [System.Threading.AbandonedMutexException] { }
        $sources = Get-ChildItem -LiteralPath (Split-Path -Parent $script:ServersProject) -File -Recurse |
            Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' -and $_.Extension -in '.cs', '.csproj' }
        $buildProps = Get-ChildItem -LiteralPath $script:RepoRoot -File -Filter 'Directory.*.props'
        $newest = ($sources + $buildProps | Measure-Object -Property LastWriteTimeUtc -Maximum).Maximum
        if (-not $Force -and (Test-Path -LiteralPath $script:ServersDll) -and
            (Get-Item -LiteralPath $script:ServersDll).LastWriteTimeUtc -ge $newest) {
            return $script:ServersDll
        }
        $output = & dotnet build $script:ServersProject -c Release -o $script:ServersDir -nologo 2>&1
        if ($LASTEXITCODE -ne 0) {
            throw "Building Kapsule.TestServers failed (exit $LASTEXITCODE):`n$($output -join "`n")"
        }
        # The build may keep an older timestamp when nothing changed; mark it current.
        (Get-Item -LiteralPath $script:ServersDll).LastWriteTimeUtc = [DateTime]::UtcNow
        return $script:ServersDll
    }
    finally {
        try { $mutex.ReleaseMutex() } catch [System.ApplicationException] { }
        $mutex.Dispose()
    }
}

function ConvertTo-ArgumentString([string[]]$Arguments) {
    ($Arguments | ForEach-Object {
        if ($_ -eq '' -or $_ -match '[\s"]') { '"' + ($_ -replace '(\\*)"', '$1$1\"' -replace '(\\+)$', '$1$1') + '"' } else { $_ }
    }) -join ' '
}

function Start-LoggedProcess {
    <# Starts a process with stdout/stderr going to files (nothing can block on a full pipe). #>
    param([string]$FilePath, [string[]]$ArgumentList, [string]$LogDirectory, [string]$Name)
    $out = Join-Path $LogDirectory "$Name.out.log"
    $err = Join-Path $LogDirectory "$Name.err.log"
    $proc = Start-Process -FilePath $FilePath -ArgumentList (ConvertTo-ArgumentString $ArgumentList) `
        -RedirectStandardOutput $out -RedirectStandardError $err -PassThru -NoNewWindow
    [pscustomobject]@{ Process = $proc; StdOut = $out; StdErr = $err }
}

function Get-LogTail([string[]]$Paths) {
    ($Paths | Where-Object { Test-Path -LiteralPath $_ } | ForEach-Object {
        "--- $([System.IO.Path]::GetFileName($_)) ---"
        Get-Content -LiteralPath $_ -Tail 30 -ErrorAction SilentlyContinue
    }) -join "`n"
}

function Stop-ProcessTree([System.Diagnostics.Process]$Process) {
    if ($null -eq $Process) { return }
    try {
        if (-not $Process.HasExited) {
            $Process.Kill($true)
        }
        [void]$Process.WaitForExit(10000)
    }
    catch [System.InvalidOperationException] {
        # never started or already reaped
    }
}

function Start-TestServerProcess {
    <# Starts Kapsule.TestServers and waits (bounded) for its "LISTENING <url>" line. #>
    param([string[]]$ArgumentList, [string]$LogDirectory, [string]$Name, [int]$TimeoutSeconds = 20)
    $dll = Initialize-TestServer
    $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
    $started = Start-LoggedProcess -FilePath $dotnet -ArgumentList (@($dll) + $ArgumentList + @('--parent-pid', "$PID")) `
        -LogDirectory $LogDirectory -Name $Name
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        $line = if (Test-Path -LiteralPath $started.StdOut) {
            Get-Content -LiteralPath $started.StdOut -ErrorAction SilentlyContinue | Where-Object { $_ -match '^LISTENING ' } | Select-Object -First 1
        }
        if ($line) {
            $url = ($line -split ' ', 2)[1].Trim()
            return [pscustomobject]@{ Process = $started.Process; Url = $url; Port = ([uri]$url).Port; StdOut = $started.StdOut; StdErr = $started.StdErr }
        }
        if ($started.Process.HasExited -or [DateTime]::UtcNow -gt $deadline) {
            Stop-ProcessTree $started.Process
            throw "Kapsule.TestServers $Name did not start:`n$(Get-LogTail $started.StdOut, $started.StdErr)"
        }
        Start-Sleep -Milliseconds 50
    }
}

function New-TestTlsMaterial {
    <# A CA and a server certificate for 127.0.0.1 / localhost, as PEM files in $Directory. #>
    param([string]$Directory)
    $rsa = [System.Security.Cryptography.RSA]
    $sha256 = [System.Security.Cryptography.HashAlgorithmName]::SHA256
    $pkcs1 = [System.Security.Cryptography.RSASignaturePadding]::Pkcs1
    $x509 = 'System.Security.Cryptography.X509Certificates'
    $now = [DateTimeOffset]::UtcNow

    $caKey = $rsa::Create(2048)
    $caReq = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=Kapsule Test CA, O=Kapsule tests', $caKey, $sha256, $pkcs1)
    $caReq.CertificateExtensions.Add((New-Object "$x509.X509BasicConstraintsExtension" $true, $false, 0, $true))
    $caReq.CertificateExtensions.Add((New-Object "$x509.X509KeyUsageExtension" ([System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]'KeyCertSign, CrlSign'), $true))
    $caReq.CertificateExtensions.Add((New-Object "$x509.X509SubjectKeyIdentifierExtension" $caReq.PublicKey, $false))
    $ca = $caReq.CreateSelfSigned($now.AddHours(-1), $now.AddDays(2))

    $srvKey = $rsa::Create(2048)
    $srvReq = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=127.0.0.1', $srvKey, $sha256, $pkcs1)
    $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    $san.AddIpAddress([System.Net.IPAddress]::Loopback)
    $san.AddDnsName('localhost')
    $srvReq.CertificateExtensions.Add($san.Build($false))
    $srvReq.CertificateExtensions.Add((New-Object "$x509.X509BasicConstraintsExtension" $false, $false, 0, $true))
    $srvReq.CertificateExtensions.Add((New-Object "$x509.X509KeyUsageExtension" ([System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]'DigitalSignature, KeyEncipherment'), $true))
    $eku = [System.Security.Cryptography.OidCollection]::new()
    [void]$eku.Add([System.Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.1'))
    $srvReq.CertificateExtensions.Add((New-Object "$x509.X509EnhancedKeyUsageExtension" $eku, $false))
    $srvReq.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509AuthorityKeyIdentifierExtension]::CreateFromCertificate($ca, $true, $false))
    $serial = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(16)
    $serial[0] = $serial[0] -band 0x7F
    $server = $srvReq.Create($ca, $now.AddHours(-1), $now.AddDays(1), $serial)

    $paths = [pscustomobject]@{
        CaFile   = Join-Path $Directory 'ca.pem'
        CertFile = Join-Path $Directory 'server.pem'
        KeyFile  = Join-Path $Directory 'server.key'
        CertDir  = Join-Path $Directory 'certs.d'
    }
    $caPem = $ca.ExportCertificatePem() + "`n"
    [System.IO.File]::WriteAllText($paths.CaFile, $caPem)
    [System.IO.File]::WriteAllText($paths.CertFile, $server.ExportCertificatePem() + "`n")
    [System.IO.File]::WriteAllText($paths.KeyFile, $srvKey.ExportPkcs8PrivateKeyPem() + "`n")
    # skopeo/containers style cert dir: *.crt are CA roots.
    [void](New-Item -ItemType Directory -Path $paths.CertDir)
    [System.IO.File]::WriteAllText((Join-Path $paths.CertDir 'ca.crt'), $caPem)
    $ca.Dispose(); $server.Dispose(); $caKey.Dispose(); $srvKey.Dispose()
    return $paths
}

function ConvertTo-YamlString([string]$Value) { "'" + ($Value -replace "'", "''") + "'" }

function Get-HttpStatus {
    <# HTTP status via curl ("000" when nothing answered). #>
    param([string]$Url, [string]$CaFile)
    $curlArgs = @('-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5')
    if ($CaFile) { $curlArgs += @('--cacert', $CaFile) }
    $code = & curl @curlArgs $Url 2>$null
    return "$code"
}

function Start-TestRegistry {
    <#
    .SYNOPSIS
        Starts docker-registry on a free 127.0.0.1 port with its own config and temp storage.
    .OUTPUTS
        PSCustomObject (PSTypeName Kapsule.TestRegistry): Url, HostPort, Port, Mode, RootDirectory, TempDir,
        ConfigPath, LogPath, Process, CaFile, CertDir, UserName, Password, TokenIssuerUrl, TokenIssuerBaseUrl,
        TokenService, TokenIssuer, TokenIssuerCertFile, TokenIssuerProcess; ScriptMethod Stop().
    #>
    [CmdletBinding()]
    param(
        [switch]$BasicAuth,
        [switch]$Tls,
        [switch]$TokenAuth,
        [switch]$AnonymousPull,
        [string]$UserName = 'kapsule',
        [string]$Password = 'kapsule-test-password',
        [int]$Port = 0,
        [int]$TimeoutSeconds = 20
    )
    if ($BasicAuth -and $TokenAuth) { throw 'Choose -BasicAuth or -TokenAuth, not both.' }
    if ($AnonymousPull -and -not $TokenAuth) { throw '-AnonymousPull applies to -TokenAuth only.' }
    foreach ($tool in @('docker-registry', 'curl') + @(if ($BasicAuth) { 'htpasswd' })) {
        if (-not (Get-Command $tool -CommandType Application -ErrorAction SilentlyContinue)) { throw "$tool is not installed." }
    }

    $tempDir = Join-Path ([System.IO.Path]::GetTempPath()) ('kapsule-reg-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $storage = Join-Path $tempDir 'storage'
    [void](New-Item -ItemType Directory -Path $storage -Force)
    $registry = [pscustomobject]@{
        PSTypeName          = 'Kapsule.TestRegistry'
        Url                 = $null
        HostPort            = $null
        Port                = 0
        Mode                = (@(if ($BasicAuth) { 'basic' }; if ($TokenAuth) { 'token' }; if ($Tls) { 'tls' }) -join '+')
        RootDirectory       = $storage
        TempDir             = $tempDir
        ConfigPath          = Join-Path $tempDir 'config.yml'
        LogPath             = Join-Path $tempDir 'registry.err.log'
        Process             = $null
        CaFile              = $null
        CertDir             = $null
        UserName            = $null
        Password            = $null
        TokenIssuerUrl      = $null
        TokenIssuerBaseUrl  = $null
        TokenService        = $null
        TokenIssuer         = $null
        TokenIssuerCertFile = $null
        TokenIssuerProcess  = $null
    }
    if (-not $registry.Mode) { $registry.Mode = 'plain' }
    $registry | Add-Member -MemberType ScriptMethod -Name Stop -Value { Stop-TestRegistry -Registry $this }

    try {
        $authYaml = ''
        if ($BasicAuth) {
            $htpasswdFile = Join-Path $tempDir 'htpasswd'
            $line = & htpasswd -Bbn $UserName $Password
            if ($LASTEXITCODE -ne 0) { throw "htpasswd failed (exit $LASTEXITCODE)." }
            [System.IO.File]::WriteAllText($htpasswdFile, (($line | Where-Object { $_ }) -join "`n") + "`n")
            $authYaml = @"
auth:
  htpasswd:
    realm: kapsule-test-registry
    path: $(ConvertTo-YamlString $htpasswdFile)
"@
            $registry.UserName = $UserName
            $registry.Password = $Password
        }
        if ($TokenAuth) {
            $registry.TokenService = 'kapsule-test-registry'
            $registry.TokenIssuer = 'kapsule-test-issuer'
            $registry.TokenIssuerCertFile = Join-Path $tempDir 'issuer.pem'
            $tokenArgs = @('token', '--port', '0', '--cert-out', $registry.TokenIssuerCertFile,
                '--issuer', $registry.TokenIssuer, '--service', $registry.TokenService,
                '--user', $UserName, '--password', $Password)
            if ($AnonymousPull) { $tokenArgs += '--anonymous-pull' }
            $issuer = Start-TestServerProcess -ArgumentList $tokenArgs -LogDirectory $tempDir -Name 'token-issuer' -TimeoutSeconds $TimeoutSeconds
            $registry.TokenIssuerProcess = $issuer.Process
            $registry.TokenIssuerBaseUrl = $issuer.Url
            $registry.TokenIssuerUrl = "$($issuer.Url)/token"
            $registry.UserName = $UserName
            $registry.Password = $Password
            $authYaml = @"
auth:
  token:
    realm: $(ConvertTo-YamlString $registry.TokenIssuerUrl)
    service: $(ConvertTo-YamlString $registry.TokenService)
    issuer: $(ConvertTo-YamlString $registry.TokenIssuer)
    rootcertbundle: $(ConvertTo-YamlString $registry.TokenIssuerCertFile)
"@
        }
        $tlsYaml = ''
        if ($Tls) {
            $tlsFiles = New-TestTlsMaterial -Directory $tempDir
            $registry.CaFile = $tlsFiles.CaFile
            $registry.CertDir = $tlsFiles.CertDir
            $tlsYaml = @"
  tls:
    certificate: $(ConvertTo-YamlString $tlsFiles.CertFile)
    key: $(ConvertTo-YamlString $tlsFiles.KeyFile)
"@
        }

        # A port picked from 127.0.0.1:0 can be taken by someone else before the registry binds it: retry.
        $attempts = if ($Port -gt 0) { 1 } else { 3 }
        for ($attempt = 1; $attempt -le $attempts; $attempt++) {
            $chosen = if ($Port -gt 0) { $Port } else { Get-FreeLoopbackPort }
            $config = @"
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $(ConvertTo-YamlString $storage)
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$chosen
  secret: kapsule-test-secret
$tlsYaml
$authYaml
"@
            [System.IO.File]::WriteAllText($registry.ConfigPath, $config)
            $started = Start-LoggedProcess -FilePath (Get-Command docker-registry -CommandType Application | Select-Object -First 1).Source `
                -ArgumentList @('serve', $registry.ConfigPath) -LogDirectory $tempDir -Name 'registry'
            $registry.Process = $started.Process
            $registry.LogPath = $started.StdErr
            $scheme = if ($Tls) { 'https' } else { 'http' }
            $url = "${scheme}://127.0.0.1:$chosen"
            $expected = if ($BasicAuth -or $TokenAuth) { '401' } else { '200' }
            $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
            $ready = $false
            while (-not $started.Process.HasExited -and [DateTime]::UtcNow -lt $deadline) {
                if ((Get-HttpStatus -Url "$url/v2/" -CaFile $registry.CaFile) -eq $expected) { $ready = $true; break }
                Start-Sleep -Milliseconds 100
            }
            if ($ready) {
                $registry.Url = $url
                $registry.Port = $chosen
                $registry.HostPort = "127.0.0.1:$chosen"
                return $registry
            }
            $logs = Get-LogTail $started.StdOut, $started.StdErr
            Stop-ProcessTree $started.Process
            $registry.Process = $null
            if ($attempt -eq $attempts) {
                throw "docker-registry did not answer $expected on $url/v2/ within $TimeoutSeconds s:`n$logs"
            }
        }
    }
    catch {
        Stop-TestRegistry -Registry $registry
        throw
    }
}

function Stop-TestRegistry {
    <# Kills the registry and its token issuer, deletes the temp folder. Safe to call twice. #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)][AllowNull()][object]$Registry)
    process {
        if ($null -eq $Registry) { return }
        Stop-ProcessTree $Registry.Process
        Stop-ProcessTree $Registry.TokenIssuerProcess
        if ($Registry.TempDir -and (Test-Path -LiteralPath $Registry.TempDir)) {
            Remove-Item -LiteralPath $Registry.TempDir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

function Get-TestRegistryToken {
    <# Asks the registry's token issuer for a token (Basic credentials unless -Anonymous). Returns the token string. #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)][object]$Registry,
        [string[]]$Scope = @(),
        [string]$UserName = $Registry.UserName,
        [string]$Password = $Registry.Password,
        [switch]$Anonymous
    )
    if (-not $Registry.TokenIssuerUrl) { throw 'The registry was not started with -TokenAuth.' }
    $query = @("service=$([uri]::EscapeDataString($Registry.TokenService))") + ($Scope | ForEach-Object { "scope=$([uri]::EscapeDataString($_))" })
    $headers = @{}
    if (-not $Anonymous) {
        $headers.Authorization = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${UserName}:$Password"))
    }
    $response = Invoke-RestMethod -Uri "$($Registry.TokenIssuerUrl)?$($query -join '&')" -Headers $headers
    return $response.token
}

function Get-TokenIssuerStats {
    <# Counters of the token issuer: requests, granted, denied. #>
    param([Parameter(Mandatory)][object]$Registry)
    Invoke-RestMethod -Uri "$($Registry.TokenIssuerBaseUrl)/_stats"
}

function Start-FaultProxy {
    <#
    .SYNOPSIS
        Starts a loopback proxy in front of a plain-http registry that injects deterministic faults.
    .DESCRIPTION
        Requests whose "METHOD target" matches -Match (default: all) are numbered 1, 2, 3, ... in arrival order.
        Number % FailEvery == 0: answered 503 with Retry-After (never forwarded). Else number % DropEvery == 0:
        forwarded, then the response is cut mid-body and the connection closed (after half the Content-Length,
        or after Random(Seed) bytes in [1, length-1] with -Seed; a response without body is dropped before its head).
        -CutAfterBytes N: the first -CutCount (default 1) blob GETs (of those matching -Match, when given) (/v2/<name>/blobs/<digest>) are cut after N
        body bytes when their 200/206 body is longer than N. Every response carries Connection: close.
    .OUTPUTS
        PSCustomObject (PSTypeName Kapsule.FaultProxy): Url, HostPort, Port, Target, StatsUrl, Process, TempDir,
        LogPath; ScriptMethod Stop().
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][object]$Target,
        [int]$FailEvery = 0,
        [int]$DropEvery = 0,
        [Nullable[int]]$Seed = $null,
        [long]$CutAfterBytes = -1,
        [int]$CutCount = 1,
        [string]$Match,
        [string]$RetryAfter = '0',
        # Hold every response body to this many bytes per second (0: no limit).
        [long]$RateBytesPerSecond = 0,
        # Answer 413 to any request whose body is larger (a reverse proxy's body limit).
        [long]$MaxBodyBytes = -1,
        [int]$TimeoutSeconds = 20
    )
    $targetUrl = if ($Target -is [string] -or $Target -is [uri]) { "$Target" } else { "$($Target.Url)" }
    if (([uri]$targetUrl).Scheme -ne 'http') { throw 'Start-FaultProxy forwards to http:// targets only.' }
    $tempDir = Join-Path ([System.IO.Path]::GetTempPath()) ('kapsule-proxy-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    [void](New-Item -ItemType Directory -Path $tempDir -Force)
    $proxyArgs = @('proxy', '--port', '0', '--target', $targetUrl.TrimEnd('/'), '--fail-every', "$FailEvery",
        '--drop-every', "$DropEvery", '--retry-after', $RetryAfter)
    if ($null -ne $Seed) { $proxyArgs += @('--seed', "$Seed") }
    if ($CutAfterBytes -ge 0) { $proxyArgs += @('--cut-after-bytes', "$CutAfterBytes", '--cut-count', "$CutCount") }
    if ($Match) { $proxyArgs += @('--match', $Match) }
    if ($RateBytesPerSecond -gt 0) { $proxyArgs += @('--rate', "$RateBytesPerSecond") }
    if ($MaxBodyBytes -ge 0) { $proxyArgs += @('--max-body', "$MaxBodyBytes") }
    try {
        $server = Start-TestServerProcess -ArgumentList $proxyArgs -LogDirectory $tempDir -Name 'proxy' -TimeoutSeconds $TimeoutSeconds
    }
    catch {
        Remove-Item -LiteralPath $tempDir -Recurse -Force -ErrorAction SilentlyContinue
        throw
    }
    $proxy = [pscustomobject]@{
        PSTypeName = 'Kapsule.FaultProxy'
        Url        = $server.Url
        HostPort   = "127.0.0.1:$($server.Port)"
        Port       = $server.Port
        Target     = $targetUrl
        StatsUrl   = "$($server.Url)/_proxy/stats"
        Process    = $server.Process
        TempDir    = $tempDir
        LogPath    = $server.StdErr
    }
    $proxy | Add-Member -MemberType ScriptMethod -Name Stop -Value { Stop-FaultProxy -Proxy $this }
    return $proxy
}

function Stop-FaultProxy {
    <# Kills the proxy and deletes its temp folder. Safe to call twice. #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)][AllowNull()][object]$Proxy)
    process {
        if ($null -eq $Proxy) { return }
        Stop-ProcessTree $Proxy.Process
        if ($Proxy.TempDir -and (Test-Path -LiteralPath $Proxy.TempDir)) {
            Remove-Item -LiteralPath $Proxy.TempDir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

function Get-FaultProxyStats {
    <#
    .OUTPUTS
        requests, matched, blobGets, failed, dropped, cut, and log: entries of
        number, matchNumber, method, target, range, fault (none|fail|drop|cut), status, sent (body bytes relayed).
    #>
    param([Parameter(Mandatory)][object]$Proxy)
    Invoke-RestMethod -Uri $Proxy.StatsUrl
}

Export-ModuleMember -Function Start-TestRegistry, Stop-TestRegistry, Get-TestRegistryToken, Get-TokenIssuerStats,
    Start-FaultProxy, Stop-FaultProxy, Get-FaultProxyStats, Initialize-TestServer, Get-FreeLoopbackPort
