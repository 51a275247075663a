package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// jsonCompatible converts what go-yaml produces for `any` into the value
// encoding/json would have produced (UseNumber), so JSON Schema validation
// and pattern compilation see JSON.
func jsonCompatible(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonCompatible(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonCompatible(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = jsonCompatible(e)
		}
		return x
	case int:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case uint64:
		return json.Number(strconv.FormatUint(x, 10))
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Sprint(x)
		}
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return v
}
