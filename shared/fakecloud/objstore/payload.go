package objstore

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// checksumAlgorithms are the S3 flexible checksums, by lower-case name as in x-amz-checksum-<name>.
var checksumAlgorithms = []string{"crc32", "crc32c", "crc64nvme", "sha1", "sha256"}

// crc64NVME is the reversed CRC-64/NVME polynomial, in the form crc64.MakeTable takes.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// checksum returns the base64 S3 checksum of body with algorithm alg (one of checksumAlgorithms).
func checksum(alg string, body []byte) string {
	var sum []byte
	switch alg {
	case "crc32":
		sum = binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(body))
	case "crc32c":
		sum = binary.BigEndian.AppendUint32(nil, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
	case "crc64nvme":
		sum = binary.BigEndian.AppendUint64(nil, crc64.Checksum(body, crc64NVME))
	case "sha1":
		s := sha1.Sum(body)
		sum = s[:]
	case "sha256":
		s := sha256.Sum256(body)
		sum = s[:]
	}
	return base64.StdEncoding.EncodeToString(sum)
}

// verifyChecksums checks every x-amz-checksum-* header and trailer against body and returns them.
func verifyChecksums(h http.Header, trailers map[string]string, body []byte) (map[string]string, *apiError) {
	sums := map[string]string{}
	for _, alg := range checksumAlgorithms {
		v := h.Get("x-amz-checksum-" + alg)
		if t, ok := trailers["x-amz-checksum-"+alg]; ok {
			v = t
		}
		if v == "" {
			continue
		}
		if got := checksum(alg, body); got != v {
			return nil, errorf(http.StatusBadRequest, "BadDigest",
				"The "+strings.ToUpper(alg)+" you specified did not match the calculated checksum.")
		}
		sums[alg] = v
	}
	if alg := strings.ToLower(h.Get("x-amz-sdk-checksum-algorithm")); alg != "" && sums[alg] == "" {
		return nil, errorf(http.StatusBadRequest, "InvalidRequest",
			"x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
	}
	return sums, nil
}

// s3ReadPayload reads the request body, decoding aws-chunked uploads, and verifies a hex
// x-amz-content-sha256 against it. It returns the object bytes and any trailing headers.
func s3ReadPayload(c *call) ([]byte, map[string]string, *apiError) {
	r := c.r
	payload := r.Header.Get("x-amz-content-sha256")
	if payload != streamingTrailer {
		body, aerr := readBody(r, maxBodyLen)
		if aerr != nil {
			return nil, nil, aerr
		}
		if isSHA256Hex(payload) {
			if got := sha256Hex(string(body)); got != payload {
				return nil, nil, errorf(http.StatusBadRequest, "XAmzContentSHA256Mismatch",
					"The provided 'x-amz-content-sha256' header does not match what was computed.",
					xmlField{"ClientComputedContentSHA256", payload}, xmlField{"S3ComputedContentSHA256", got})
			}
		}
		return body, nil, nil
	}
	decoded, err := strconv.ParseInt(r.Header.Get("x-amz-decoded-content-length"), 10, 64)
	if err != nil || decoded < 0 {
		return nil, nil, errorf(http.StatusLengthRequired, "MissingContentLength", "You must provide the x-amz-decoded-content-length HTTP header.")
	}
	if decoded > maxBodyLen {
		return nil, nil, entityTooLarge()
	}
	raw, aerr := readBody(r, maxBodyLen+64<<10)
	if aerr != nil {
		return nil, nil, aerr
	}
	var declared []string
	for _, v := range r.Header.Values("x-amz-trailer") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				declared = append(declared, name)
			}
		}
	}
	body, trailers, err := decodeAWSChunked(raw)
	switch {
	case err != nil:
		return nil, nil, errorf(http.StatusBadRequest, "IncompleteBody", "The aws-chunked request body is malformed: "+err.Error())
	case int64(len(body)) != decoded:
		return nil, nil, errorf(http.StatusBadRequest, "IncompleteBody",
			"The decoded body length does not match x-amz-decoded-content-length.")
	}
	var got []string
	for name := range trailers {
		got = append(got, name)
	}
	sort.Strings(got)
	sort.Strings(declared)
	if strings.Join(got, ",") != strings.Join(declared, ",") {
		return nil, nil, errorf(http.StatusBadRequest, "MalformedTrailerError",
			"The request contained trailing data that was not well-formed or did not conform to our published schema.")
	}
	return body, trailers, nil
}

// errChunk is the error decodeAWSChunked returns for a malformed body.
type errChunk string

func (e errChunk) Error() string { return string(e) }

// decodeAWSChunked decodes an aws-chunked body: chunks "<hex-size>[;ext]\r\n<data>\r\n", a final
// "0\r\n", then trailer lines "name:value\r\n" and an empty line.
func decodeAWSChunked(raw []byte) ([]byte, map[string]string, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	readLine := func() (string, error) {
		line, err := br.ReadString('\n')
		if err != nil || !strings.HasSuffix(line, "\r\n") {
			return "", errChunk("line not terminated by CRLF")
		}
		return strings.TrimSuffix(line, "\r\n"), nil
	}
	var body bytes.Buffer
	for {
		line, err := readLine()
		if err != nil {
			return nil, nil, err
		}
		sizeHex, ext, _ := strings.Cut(line, ";")
		if strings.Contains(ext, "chunk-signature") {
			return nil, nil, errChunk("signed chunks are not emulated")
		}
		size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
		if err != nil || size < 0 || size > maxBodyLen {
			return nil, nil, errChunk("bad chunk size " + strconv.Quote(sizeHex))
		}
		if size == 0 {
			break
		}
		if _, err := io.CopyN(&body, br, size); err != nil {
			return nil, nil, errChunk("chunk shorter than its size")
		}
		if crlf, err := readLine(); err != nil || crlf != "" {
			return nil, nil, errChunk("chunk data not followed by CRLF")
		}
	}
	trailers := map[string]string{}
	for {
		line, err := readLine()
		if err != nil {
			return nil, nil, err
		}
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, errChunk("malformed trailer " + strconv.Quote(line))
		}
		trailers[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
	}
	if br.Buffered() > 0 {
		return nil, nil, errChunk("data after the trailers")
	}
	return body.Bytes(), trailers, nil
}
