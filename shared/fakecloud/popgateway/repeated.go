package popgateway

import (
	"sort"
	"strconv"
	"strings"
)

// Repeated returns the values of a repeated parameter as the SDK flattens it: "Name.1", "Name.2",
// … or, with field, "Name.1.Field", … (alibaba-cloud-sdk-go sdk/requests/acs_request.go,
// flatRepeatedList). Values come back in index order; empty values are kept.
func (r *Request) Repeated(name, field string) []string {
	type item struct {
		n int
		v string
	}
	var items []item
	prefix := name + "."
	for k, v := range r.Params {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		idx := rest
		if field != "" {
			var f string
			idx, f, ok = strings.Cut(rest, ".")
			if !ok || f != field {
				continue
			}
		}
		n, err := strconv.Atoi(idx)
		if err != nil || n < 1 {
			continue
		}
		items = append(items, item{n, v})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].n < items[j].n })
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.v)
	}
	return out
}

// IsCommon reports whether k is one of the POP common parameters every call carries.
func IsCommon(k string) bool {
	switch k {
	case "Action", "Version", "Format", "Timestamp", "SignatureMethod", "SignatureVersion", "SignatureNonce",
		"SignatureType", "AccessKeyId", "Signature", "SecurityToken", "BearerToken", "RegionId":
		return true
	}
	return false
}
