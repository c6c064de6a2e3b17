#Requires -Version 7.4
# Pester 5 tests of tests/TestHarness.psm1: the registry really runs in each mode, and the token issuer
# and the fault proxy behave as the other suites rely on. Uses curl as an independent client.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHarness.psm1') -Force

    function Invoke-Curl {
        <# One curl request. Returns ExitCode, Status (int, 0 if none), Headers (name -> last value, lower-case names), Size, Body path. #>
        param(
            [Parameter(Mandatory)][string]$Url,
            [string]$Method = 'GET',
            [string[]]$Header = @(),
            [string]$User,
            [string]$CaFile,
            [string]$DataFile,
            [switch]$Head
        )
        $headerFile = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.hdr')
        $bodyFile = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.body')
        $a = @('-s', '-S', '--max-time', '30', '-D', $headerFile, '-o', $bodyFile, '-w', '%{http_code} %{size_download}')
        if ($Head) { $a += '-I' } else { $a += @('-X', $Method) }
        foreach ($h in $Header) { $a += @('-H', $h) }
        if ($User) { $a += @('-u', $User) }
        if ($CaFile) { $a += @('--cacert', $CaFile) }
        if ($DataFile) { $a += @('--data-binary', "@$DataFile") }
        $out = & curl @a $Url 2>$null
        $exit = $LASTEXITCODE
        $parts = "$out".Trim() -split ' '
        $headers = @{}
        if (Test-Path -LiteralPath $headerFile) {
            foreach ($line in Get-Content -LiteralPath $headerFile) {
                if ($line -match '^([^:\s]+):\s*(.*)$') { $headers[$Matches[1].ToLowerInvariant()] = $Matches[2].Trim() }
            }
        }
        [pscustomobject]@{
            ExitCode = $exit
            Status   = [int]$parts[0]
            Size     = [long]$(if ($parts.Count -gt 1) { $parts[1] } else { 0 })
            Headers  = $headers
            Body     = $bodyFile
        }
    }

    function Get-Sha256Hex([string]$Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant() }

    function New-RandomFile([string]$Name, [int]$Size, [int]$Seed = 42) {
        $bytes = [byte[]]::new($Size)
        [System.Random]::new($Seed).NextBytes($bytes)
        $path = Join-Path $TestDrive $Name
        [System.IO.File]::WriteAllBytes($path, $bytes)
        return $path
    }

    function Publish-TestBlob {
        <# Monolithic upload (POST then PUT ?digest=) with curl. Returns the digest. #>
        param([string]$BaseUrl, [string]$Repository, [string]$Path, [string[]]$Header = @(), [string]$User, [string]$CaFile)
        $digest = 'sha256:' + (Get-Sha256Hex $Path)
        $start = Invoke-Curl -Url "$BaseUrl/v2/$Repository/blobs/uploads/" -Method POST -Header $Header -User $User -CaFile $CaFile
        if ($start.Status -ne 202) { throw "upload start: $($start.Status)" }
        $location = $start.Headers['location']
        if ($location -notmatch '^https?://') { $location = "$BaseUrl$location" }
        $sep = if ($location.Contains('?')) { '&' } else { '?' }
        $put = Invoke-Curl -Url "$location${sep}digest=$digest" -Method PUT -Header ($Header + 'Content-Type: application/octet-stream') -User $User -CaFile $CaFile -DataFile $Path
        if ($put.Status -ne 201) { throw "upload put: $($put.Status)" }
        return $digest
    }

    function ConvertFrom-JwtPayload([string]$Token) {
        $p = ($Token -split '\.')[1].Replace('-', '+').Replace('_', '/')
        $p += '=' * ((4 - $p.Length % 4) % 4)
        [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($p)) | ConvertFrom-Json
    }
}

Describe 'Start-TestRegistry (plain)' {
    BeforeAll { $reg = Start-TestRegistry }
    AfterAll { Stop-TestRegistry $reg }

    It 'returns the documented shape on a loopback port' {
        $reg.Url | Should -Be "http://127.0.0.1:$($reg.Port)"
        $reg.HostPort | Should -Be "127.0.0.1:$($reg.Port)"
        $reg.Mode | Should -Be 'plain'
        $reg.Process.HasExited | Should -BeFalse
        Test-Path -LiteralPath $reg.ConfigPath | Should -BeTrue
        $reg.CaFile | Should -BeNullOrEmpty
        $reg.UserName | Should -BeNullOrEmpty
    }

    It 'answers GET /v2/ with 200' {
        (Invoke-Curl "$($reg.Url)/v2/").Status | Should -Be 200
    }

    It 'stores pushed blobs under RootDirectory and allows deletes' {
        $file = New-RandomFile 'plain.bin' 4096
        $digest = Publish-TestBlob -BaseUrl $reg.Url -Repository 'test/plain' -Path $file
        $hex = $digest.Substring(7)
        Test-Path -LiteralPath (Join-Path $reg.RootDirectory "docker/registry/v2/blobs/sha256/$($hex.Substring(0, 2))/$hex/data") | Should -BeTrue
        (Invoke-Curl "$($reg.Url)/v2/test/plain/blobs/$digest" -Method DELETE).Status | Should -Be 202
        (Invoke-Curl "$($reg.Url)/v2/test/plain/blobs/$digest" -Head).Status | Should -Be 404
    }
}

Describe 'Stop-TestRegistry' {
    It 'kills the process, frees the port and deletes the temp folder' {
        $r = Start-TestRegistry
        $r.Stop()
        $r.Process.HasExited | Should -BeTrue
        Test-Path -LiteralPath $r.TempDir | Should -BeFalse
        (Invoke-Curl "$($r.Url)/v2/").ExitCode | Should -Not -Be 0
        { Stop-TestRegistry $r } | Should -Not -Throw
    }

    It 'refuses contradictory switches' {
        { Start-TestRegistry -BasicAuth -TokenAuth } | Should -Throw '*not both*'
    }
}

Describe 'Start-TestRegistry -BasicAuth' {
    BeforeAll { $reg = Start-TestRegistry -BasicAuth -UserName 'alice' -Password 's3cret pass' }
    AfterAll { Stop-TestRegistry $reg }

    It 'writes a bcrypt htpasswd file' {
        Get-Content -LiteralPath (Join-Path $reg.TempDir 'htpasswd') | Should -Match '^alice:\$2y\$'
    }

    It 'answers 401 with a Basic challenge without credentials' {
        $r = Invoke-Curl "$($reg.Url)/v2/"
        $r.Status | Should -Be 401
        $r.Headers['www-authenticate'] | Should -Match '^Basic realm="kapsule-test-registry"'
    }

    It 'answers 200 with the right credentials' {
        $reg.UserName | Should -Be 'alice'
        (Invoke-Curl "$($reg.Url)/v2/" -User "$($reg.UserName):$($reg.Password)").Status | Should -Be 200
    }

    It 'answers 401 with a wrong password' {
        (Invoke-Curl "$($reg.Url)/v2/" -User "$($reg.UserName):wrong").Status | Should -Be 401
    }

    It 'works with Invoke-WebRequest and a PSCredential' {
        $cred = [pscredential]::new($reg.UserName, (ConvertTo-SecureString $reg.Password -AsPlainText -Force))
        (Invoke-WebRequest "$($reg.Url)/v2/" -Credential $cred -AllowUnencryptedAuthentication -SkipHttpErrorCheck).StatusCode | Should -Be 200
    }
}

Describe 'Start-TestRegistry -Tls' {
    BeforeAll { $reg = Start-TestRegistry -Tls }
    AfterAll { Stop-TestRegistry $reg }

    It 'serves https with a certificate from the returned CA' {
        $reg.Url | Should -Be "https://127.0.0.1:$($reg.Port)"
        Get-Content -LiteralPath $reg.CaFile -Raw | Should -Match '-----BEGIN CERTIFICATE-----'
        Test-Path -LiteralPath (Join-Path $reg.CertDir 'ca.crt') | Should -BeTrue
    }

    It 'fails without trusting the CA' {
        $r = Invoke-Curl "$($reg.Url)/v2/"
        $r.ExitCode | Should -Not -Be 0
        $r.Status | Should -Be 0
        { Invoke-WebRequest "$($reg.Url)/v2/" } | Should -Throw
    }

    It 'succeeds with the CA, for 127.0.0.1 and for localhost' {
        (Invoke-Curl "$($reg.Url)/v2/" -CaFile $reg.CaFile).Status | Should -Be 200
        (Invoke-Curl "https://localhost:$($reg.Port)/v2/" -CaFile $reg.CaFile).Status | Should -Be 200
    }

    It 'verifies the server chain against the CA in .NET' {
        $pem = Get-Content -LiteralPath $reg.CaFile -Raw
        $ca = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem($pem)
        $serverPem = Get-Content -LiteralPath (Join-Path $reg.TempDir 'server.pem') -Raw
        $server = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem($serverPem)
        $chain = [System.Security.Cryptography.X509Certificates.X509Chain]::new()
        $chain.ChainPolicy.TrustMode = 'CustomRootTrust'
        $chain.ChainPolicy.RevocationMode = 'NoCheck'
        [void]$chain.ChainPolicy.CustomTrustStore.Add($ca)
        $chain.Build($server) | Should -BeTrue
        $server.MatchesHostname('127.0.0.1') | Should -BeTrue
        $server.MatchesHostname('localhost') | Should -BeTrue
    }
}

Describe 'Start-TestRegistry -Tls -BasicAuth' {
    BeforeAll { $reg = Start-TestRegistry -Tls -BasicAuth }
    AfterAll { Stop-TestRegistry $reg }

    It 'needs both the CA and the credentials' {
        (Invoke-Curl "$($reg.Url)/v2/" -CaFile $reg.CaFile).Status | Should -Be 401
        (Invoke-Curl "$($reg.Url)/v2/" -CaFile $reg.CaFile -User "$($reg.UserName):$($reg.Password)").Status | Should -Be 200
    }
}

Describe 'Start-TestRegistry -TokenAuth' {
    BeforeAll { $reg = Start-TestRegistry -TokenAuth -UserName 'bob' -Password 'hunter2' }
    AfterAll { Stop-TestRegistry $reg }

    It 'answers /v2/ with 401 and a Bearer challenge naming the issuer' {
        $r = Invoke-Curl "$($reg.Url)/v2/"
        $r.Status | Should -Be 401
        $r.Headers['www-authenticate'] | Should -Be "Bearer realm=`"$($reg.TokenIssuerUrl)`",service=`"$($reg.TokenService)`""
        $reg.TokenIssuerUrl | Should -Match '^http://127\.0\.0\.1:\d+/token$'
    }

    It 'challenges repository calls with their scope' {
        $r = Invoke-Curl "$($reg.Url)/v2/test/x/blobs/uploads/" -Method POST
        $r.Status | Should -Be 401
        $r.Headers['www-authenticate'] | Should -Match 'scope="repository:test/x:(pull,push|push,pull)"'
    }

    It 'issues a token that lets POST /blobs/uploads/ through (202)' {
        $r = Invoke-Curl "$($reg.TokenIssuerUrl)?service=$($reg.TokenService)&scope=repository:test/x:pull,push" -User 'bob:hunter2'
        $r.Status | Should -Be 200
        $json = Get-Content -LiteralPath $r.Body -Raw | ConvertFrom-Json
        $json.token | Should -Not -BeNullOrEmpty
        $json.access_token | Should -Be $json.token
        $json.expires_in | Should -Be 300
        $json.issued_at | Should -Not -BeNullOrEmpty
        (Invoke-Curl "$($reg.Url)/v2/test/x/blobs/uploads/" -Method POST -Header "Authorization: Bearer $($json.token)").Status | Should -Be 202
    }

    It 'signs RS256 with an x5c header and grants exactly the requested scopes' {
        $token = Get-TestRegistryToken -Registry $reg -Scope 'repository:test/x:pull', 'repository:other/y:push,pull'
        $header = ConvertFrom-JwtPayload ('x.' + ($token -split '\.')[0])
        $header.alg | Should -Be 'RS256'
        $header.x5c.Count | Should -Be 1
        $claims = ConvertFrom-JwtPayload $token
        $claims.iss | Should -Be $reg.TokenIssuer
        $claims.aud | Should -Be $reg.TokenService
        $claims.sub | Should -Be 'bob'
        $claims.access.Count | Should -Be 2
        ($claims.access | Where-Object name -EQ 'test/x').actions | Should -Be @('pull')
        ($claims.access | Where-Object name -EQ 'other/y').actions | Should -Be @('push', 'pull')
    }

    It 'rejects a push with a pull-only token (401)' {
        $token = Get-TestRegistryToken -Registry $reg -Scope 'repository:test/x:pull'
        (Invoke-Curl "$($reg.Url)/v2/test/x/blobs/uploads/" -Method POST -Header "Authorization: Bearer $token").Status | Should -Be 401
    }

    It 'rejects a push with a token for another repository (401)' {
        $token = Get-TestRegistryToken -Registry $reg -Scope 'repository:other/y:pull,push'
        (Invoke-Curl "$($reg.Url)/v2/test/x/blobs/uploads/" -Method POST -Header "Authorization: Bearer $token").Status | Should -Be 401
    }

    It 'answers POST /blobs/uploads/ without a token with 401' {
        (Invoke-Curl "$($reg.Url)/v2/test/x/blobs/uploads/" -Method POST).Status | Should -Be 401
    }

    It 'refuses a wrong password and anonymous callers at the issuer (401)' {
        $wrong = Invoke-Curl "$($reg.TokenIssuerUrl)?service=$($reg.TokenService)&scope=repository:test/x:pull,push" -User 'bob:wrong'
        $wrong.Status | Should -Be 401
        $wrong.Headers['www-authenticate'] | Should -Match '^Basic '
        (Invoke-Curl "$($reg.TokenIssuerUrl)?service=$($reg.TokenService)&scope=repository:test/x:pull").Status | Should -Be 401
    }

    It 'supports the OAuth2 password grant (POST)' {
        $form = Join-Path $TestDrive 'form.txt'
        [IO.File]::WriteAllText($form, "grant_type=password&username=bob&password=hunter2&service=$($reg.TokenService)&scope=repository%3Atest%2Fx%3Apull%2Cpush&client_id=kapsule")
        $r = Invoke-Curl $reg.TokenIssuerUrl -Method POST -Header 'Content-Type: application/x-www-form-urlencoded' -DataFile $form
        $r.Status | Should -Be 200
        $token = (Get-Content -LiteralPath $r.Body -Raw | ConvertFrom-Json).access_token
        (Invoke-Curl "$($reg.Url)/v2/test/x/blobs/uploads/" -Method POST -Header "Authorization: Bearer $token").Status | Should -Be 202
    }

    It 'completes a full blob upload with the token and counts issuer requests' {
        $before = Get-TokenIssuerStats -Registry $reg
        $token = Get-TestRegistryToken -Registry $reg -Scope 'repository:test/x:pull,push'
        $file = New-RandomFile 'token.bin' 10000
        $digest = Publish-TestBlob -BaseUrl $reg.Url -Repository 'test/x' -Path $file -Header "Authorization: Bearer $token"
        $r = Invoke-Curl "$($reg.Url)/v2/test/x/blobs/$digest" -Header "Authorization: Bearer $token"
        $r.Status | Should -Be 200
        Get-Sha256Hex $r.Body | Should -Be $digest.Substring(7)
        $after = Get-TokenIssuerStats -Registry $reg
        $after.granted | Should -Be ($before.granted + 1)
    }
}

Describe 'Start-TestRegistry -TokenAuth -AnonymousPull' {
    BeforeAll {
        $reg = Start-TestRegistry -TokenAuth -AnonymousPull
        $file = New-RandomFile 'anon.bin' 2048
        $pushToken = Get-TestRegistryToken -Registry $reg -Scope 'repository:pub/m:pull,push'
        $digest = Publish-TestBlob -BaseUrl $reg.Url -Repository 'pub/m' -Path $file -Header "Authorization: Bearer $pushToken"
    }
    AfterAll { Stop-TestRegistry $reg }

    It 'gives anonymous callers pull only, even when they ask for push' {
        $token = Get-TestRegistryToken -Registry $reg -Scope 'repository:pub/m:pull,push' -Anonymous
        $claims = ConvertFrom-JwtPayload $token
        $claims.sub | Should -Be ''
        $claims.access[0].actions | Should -Be @('pull')
        (Invoke-Curl "$($reg.Url)/v2/pub/m/blobs/$digest" -Header "Authorization: Bearer $token").Status | Should -Be 200
        (Invoke-Curl "$($reg.Url)/v2/pub/m/blobs/uploads/" -Method POST -Header "Authorization: Bearer $token").Status | Should -Be 401
    }

    It 'still refuses a wrong password' {
        { Get-TestRegistryToken -Registry $reg -Scope 'repository:pub/m:pull' -Password 'nope' } | Should -Throw
    }
}

Describe 'Start-FaultProxy' {
    BeforeAll {
        $reg = Start-TestRegistry
        $blobFile = New-RandomFile 'blob.bin' 100000 7
        $blobDigest = Publish-TestBlob -BaseUrl $reg.Url -Repository 'test/fault' -Path $blobFile
        $blobPath = "/v2/test/fault/blobs/$blobDigest"
    }
    AfterAll { Stop-TestRegistry $reg }

    Context 'without faults' {
        BeforeAll { $proxy = Start-FaultProxy -Target $reg.Url }
        AfterAll { Stop-FaultProxy $proxy }

        It 'returns the documented shape and forwards GETs byte for byte' {
            $proxy.Url | Should -Be "http://127.0.0.1:$($proxy.Port)"
            $proxy.Target | Should -Be $reg.Url
            $r = Invoke-Curl "$($proxy.Url)$blobPath"
            $r.Status | Should -Be 200
            $r.Headers['connection'] | Should -Be 'close'
            Get-Sha256Hex $r.Body | Should -Be $blobDigest.Substring(7)
        }

        It 'forwards uploads (Content-Length and chunked bodies) and keeps Location on the proxy' {
            $file = New-RandomFile 'up.bin' 300000 9
            $digest = 'sha256:' + (Get-Sha256Hex $file)
            $start = Invoke-Curl "$($proxy.Url)/v2/test/up/blobs/uploads/" -Method POST
            $start.Status | Should -Be 202
            $start.Headers['location'] | Should -Match "^http://127\.0\.0\.1:$($proxy.Port)/"
            $patch = Invoke-Curl $start.Headers['location'] -Method PATCH -Header 'Transfer-Encoding: chunked', 'Content-Type: application/octet-stream' -DataFile $file
            $patch.Status | Should -Be 202
            $loc = $patch.Headers['location']
            $sep = if ($loc.Contains('?')) { '&' } else { '?' }
            (Invoke-Curl "$loc${sep}digest=$digest" -Method PUT).Status | Should -Be 201
            $r = Invoke-Curl "$($reg.Url)/v2/test/up/blobs/$digest"
            Get-Sha256Hex $r.Body | Should -Be $digest.Substring(7)
        }

        It 'serves one HttpClient for many requests (connection reuse after Connection: close)' {
            $client = [System.Net.Http.HttpClient]::new()
            try {
                $codes = foreach ($i in 1..5) {
                    $resp = $client.GetAsync("$($proxy.Url)$blobPath").GetAwaiter().GetResult()
                    $bytes = $resp.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult()
                    "$([int]$resp.StatusCode):$($bytes.Length)"
                    $resp.Dispose()
                }
                $codes | Should -Be (@('200:100000') * 5)
            }
            finally { $client.Dispose() }
        }

        It 'passes Range requests through (206)' {
            $r = Invoke-Curl "$($proxy.Url)$blobPath" -Header 'Range: bytes=100-199'
            $r.Status | Should -Be 206
            $r.Size | Should -Be 100
        }
    }

    Context '-FailEvery 3' {
        BeforeAll { $proxy = Start-FaultProxy -Target $reg -FailEvery 3 }
        AfterAll { Stop-FaultProxy $proxy }

        It 'answers exactly every third request with 503 and Retry-After' {
            $results = foreach ($i in 1..10) { Invoke-Curl "$($proxy.Url)/v2/" }
            ($results | ForEach-Object Status) | Should -Be @(200, 200, 503, 200, 200, 503, 200, 200, 503, 200)
            ($results | Where-Object Status -EQ 503 | ForEach-Object { $_.Headers['retry-after'] }) | Should -Be @('0', '0', '0')
            $stats = Get-FaultProxyStats $proxy
            $stats.requests | Should -Be 10
            $stats.failed | Should -Be 3
            ($stats.log | Where-Object fault -EQ 'fail').number | Should -Be @(3, 6, 9)
        }

        It 'drains a request body before answering 503 so the client sees the 503' {
            # requests 11 (200), 12 (503 on this upload), 13 (200)
            $file = New-RandomFile 'drain.bin' 50000 3
            (Invoke-Curl "$($proxy.Url)/v2/").Status | Should -Be 200
            (Invoke-Curl "$($proxy.Url)/v2/test/fault/blobs/uploads/" -Method POST -DataFile $file).Status | Should -Be 503
            (Invoke-Curl "$($proxy.Url)/v2/").Status | Should -Be 200
        }
    }

    Context '-DropEvery 2 -Match blob GETs' {
        BeforeAll { $proxy = Start-FaultProxy -Target $reg.Url -DropEvery 2 -Match '^GET /v2/.+/blobs/' }
        AfterAll { Stop-FaultProxy $proxy }

        It 'cuts every second blob GET mid-body (shorter than Content-Length), others complete' {
            $results = foreach ($i in 1..4) {
                (Invoke-Curl "$($proxy.Url)/v2/").Status | Should -Be 200   # not matched, not counted
                Invoke-Curl "$($proxy.Url)$blobPath"
            }
            foreach ($i in 0, 2) {
                $results[$i].ExitCode | Should -Be 0
                Get-Sha256Hex $results[$i].Body | Should -Be $blobDigest.Substring(7)
            }
            foreach ($i in 1, 3) {
                $results[$i].Status | Should -Be 200
                $results[$i].ExitCode | Should -Be 18   # CURLE_PARTIAL_FILE
                [long]$results[$i].Headers['content-length'] | Should -Be 100000
                $results[$i].Size | Should -Be 50000
            }
            (Get-FaultProxyStats $proxy).dropped | Should -Be 2
        }
    }

    Context '-DropEvery 1 -Seed' {
        It 'cuts at the same seeded points on every run' {
            $runs = foreach ($run in 1..2) {
                $p = Start-FaultProxy -Target $reg.Url -DropEvery 1 -Seed 1234
                try {
                    (1..3 | ForEach-Object { (Invoke-Curl "$($p.Url)$blobPath").Size }) -join ','
                }
                finally { Stop-FaultProxy $p }
            }
            $runs[0] | Should -Be $runs[1]
            foreach ($size in $runs[0] -split ',') {
                [long]$size | Should -BeGreaterThan 0
                [long]$size | Should -BeLessThan 100000
            }
        }

        It 'drops a body-less response before its head' {
            $p = Start-FaultProxy -Target $reg.Url -DropEvery 1
            try {
                $r = Invoke-Curl "$($p.Url)$blobPath" -Head
                $r.ExitCode | Should -Not -Be 0
                $r.Status | Should -Be 0
            }
            finally { Stop-FaultProxy $p }
        }
    }

    Context '-CutAfterBytes 30000 -CutCount 2' {
        BeforeAll { $proxy = Start-FaultProxy -Target $reg.Url -CutAfterBytes 30000 -CutCount 2 }
        AfterAll { Stop-FaultProxy $proxy }

        It 'cuts the first two blob GETs and lets a Range resume finish the download' {
            $first = Invoke-Curl "$($proxy.Url)$blobPath"
            $first.Status | Should -Be 200
            $first.ExitCode | Should -Be 18
            $first.Size | Should -Be 30000
            $second = Invoke-Curl "$($proxy.Url)$blobPath" -Header 'Range: bytes=30000-'
            $second.Status | Should -Be 206
            $second.ExitCode | Should -Be 18
            $second.Size | Should -Be 30000
            $third = Invoke-Curl "$($proxy.Url)$blobPath" -Header 'Range: bytes=60000-'
            $third.Status | Should -Be 206
            $third.ExitCode | Should -Be 0
            $third.Size | Should -Be 40000

            $joined = Join-Path $TestDrive 'joined.bin'
            $out = [IO.File]::Create($joined)
            try {
                foreach ($part in $first, $second, $third) { $out.Write([IO.File]::ReadAllBytes($part.Body)) }
            }
            finally { $out.Dispose() }
            Get-Sha256Hex $joined | Should -Be $blobDigest.Substring(7)

            $stats = Get-FaultProxyStats $proxy
            $stats.cut | Should -Be 2
            ($stats.log | ForEach-Object range) | Should -Be @($null, 'bytes=30000-', 'bytes=60000-')
        }

        It 'does not cut manifests or /v2/' {
            (Invoke-Curl "$($proxy.Url)/v2/").ExitCode | Should -Be 0
        }
    }
}
