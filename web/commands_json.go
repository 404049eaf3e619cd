package web

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
)

// The JSON shape of commands.
//
// A command's body is a JSON object with one member per field of the
// domain's command struct, named in lowerCamelCase ("proposalId",
// "newDueDate", "sha256"; a field with a json tag, like Speaker's, uses the
// tag). Dates are "YYYY-MM-DD", times RFC 3339, signature IDs UUIDs. A
// member the command does not have is an error, as is a value of the wrong
// type. A list of commands (the changes of transcript.import_version) is a
// list of {"command": name, "body": {...}}.

// maxNesting bounds commands within commands.
const maxNesting = 2

var commandType = reflect.TypeFor[domain.Command]()

// ChangeJSON is one command inside another (the changes of
// transcript.import_version): its name and its body.
type ChangeJSON struct {
	Command string          `json:"command"`
	Body    json.RawMessage `json:"body"`
}

// decodeCommand decodes body as the named command.
func decodeCommand(name string, body []byte) (domain.Command, error) {
	return decodeNested(name, body, 0)
}

func decodeNested(name string, body []byte, depth int) (domain.Command, error) {
	info, ok := app.LookupCommand(name)
	if !ok {
		return nil, errBoth(fmt.Sprintf("unknown command %q", name), fmt.Sprintf("沒有指令 %q", name))
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 {
		return nil, errEmptyBody
	} else if trimmed[0] != '{' {
		return nil, errBoth("the body is not a JSON object", "內容不是 JSON 物件")
	}
	t := reflect.TypeOf(info.Prototype)
	v := reflect.New(t)
	lists := commandListFields(t)
	if len(lists) == 0 {
		if err := strictDecode(body, v.Interface()); err != nil {
			return nil, err
		}
		return v.Elem().Interface().(domain.Command), nil
	}
	if depth >= maxNesting {
		return nil, errBoth(name+": commands nested too deep", name+"：指令巢狀太深")
	}
	// Take the lists of commands out, decode the rest strictly, then each
	// listed command by its own name.
	var members map[string]json.RawMessage
	if err := strictDecode(body, &members); err != nil {
		return nil, err
	}
	raw := map[int]json.RawMessage{}
	for key, val := range members {
		for _, i := range lists {
			if strings.EqualFold(key, jsonName(t.Field(i))) {
				raw[i] = val
				delete(members, key)
			}
		}
	}
	rest, err := json.Marshal(members)
	if err != nil {
		return nil, err
	}
	if err := strictDecode(rest, v.Interface()); err != nil {
		return nil, err
	}
	for i, val := range raw {
		var changes []ChangeJSON
		if err := strictDecode(val, &changes); err != nil {
			return nil, wrapBoth(jsonName(t.Field(i))+": ", err)
		}
		list := reflect.MakeSlice(t.Field(i).Type, 0, len(changes))
		for j, ch := range changes {
			c, err := decodeNested(ch.Command, ch.Body, depth+1)
			if err != nil {
				return nil, wrapBoth(fmt.Sprintf("%s[%d] (%s): ", jsonName(t.Field(i)), j, ch.Command), err)
			}
			list = reflect.Append(list, reflect.ValueOf(c))
		}
		v.Elem().Field(i).Set(list)
	}
	return v.Elem().Interface().(domain.Command), nil
}

// strictDecode decodes exactly one JSON value into v, refusing unknown
// members and trailing data.
func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errEmptyBody
		}
		return describeJSONError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errBoth("data after the JSON object", "JSON 物件之後還有資料")
	}
	return nil
}

// describeJSONError says what is wrong with a body in terms of its members.
func describeJSONError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errBoth("malformed JSON: the body ends too early", "JSON 格式錯誤：內容提早結束")
	case errors.As(err, &syn):
		return errBoth(fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn), fmt.Sprintf("JSON 格式錯誤，在第 %d 個位元組：%v", syn.Offset, syn))
	case errors.As(err, &typ):
		if typ.Field != "" {
			path := strings.Split(typ.Field, ".")
			for i, p := range path {
				path[i] = jsonName(reflect.StructField{Name: p})
			}
			return errBoth(fmt.Sprintf("member %q: a JSON %s where %s is expected", strings.Join(path, "."), typ.Value, jsonKind(typ.Type)),
				fmt.Sprintf("成員 %q：這裡需要%s，收到的是 JSON %s", strings.Join(path, "."), jsonKindZH[jsonKind(typ.Type)], typ.Value))
		}
		return errBoth(fmt.Sprintf("a JSON %s where %s is expected", typ.Value, jsonKind(typ.Type)), fmt.Sprintf("這裡需要%s，收到的是 JSON %s", jsonKindZH[jsonKind(typ.Type)], typ.Value))
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return errBoth(msg, "未知的成員 "+f)
	}
	return errBoth(msg, "JSON 無法解讀（"+msg+"）")
}

// errEmptyBody: a command's body is empty.
var errEmptyBody = errBoth("the body is empty; send a JSON object", "內容是空的；請送出一個 JSON 物件")

// jsonKindZH words jsonKind's answers in Chinese.
var jsonKindZH = map[string]string{"a string": "字串", "true or false": "true 或 false", "a number": "數字", "an array": "陣列", "an object": "物件"}

// wrapBoth prefixes err's words in both languages.
func wrapBoth(prefix string, err error) error {
	return errBoth(prefix+err.Error(), strings.Replace(prefix, ": ", "：", 1)+decodeZH(err))
}

// decodeZH is a decoding error's Chinese wording: its own, or a sentence
// around its English words.
func decodeZH(err error) string {
	if zh := zhOf(err); zh != "" {
		return zh
	}
	return "請求內容無效（" + err.Error() + "）"
}

// jsonKind names the JSON a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		return "a string" // dates, times, UUIDs
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// commandListFields returns the indexes of t's fields that hold lists of
// commands.
func commandListFields(t reflect.Type) []int {
	var out []int
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && f.Type.Kind() == reflect.Slice && f.Type.Elem() == commandType {
			out = append(out, i)
		}
	}
	return out
}

// jsonName is the member name of a command field: its json tag's name, or
// the field name in lowerCamelCase with a final "ID" as "Id"
// ("ProposalID" → "proposalId", "POID" → "poId", "SHA256" → "sha256",
// "URL" → "url"). Decoding matches names case-insensitively, as
// encoding/json does, so these are the documented spellings.
func jsonName(f reflect.StructField) string {
	if tag, ok := f.Tag.Lookup("json"); ok {
		if name, _, _ := strings.Cut(tag, ","); name != "" && name != "-" {
			return name
		}
	}
	name := f.Name
	if len(name) > 2 && strings.HasSuffix(name, "ID") {
		return lowerCamel(name[:len(name)-2]) + "Id"
	}
	return lowerCamel(name)
}

// lowerCamel lower-cases the leading capitals of s: the first letter, or an
// initial acronym ("SHA256" → "sha256", "URLPath" → "urlPath").
func lowerCamel(s string) string {
	r := []rune(s)
	n := 0
	for n < len(r) && (unicode.IsUpper(r[n]) || unicode.IsDigit(r[n]) && n > 0) {
		n++
	}
	switch {
	case n == 0:
		return s
	case n == len(r), n == 1:
	default:
		n-- // "URLPath": the P starts the next word
	}
	for i := range max(n, 1) {
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}
