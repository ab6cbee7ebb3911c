package script

import (
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/dop251/goja"
)

// cryptoUnavailable are the functions of Node.js's crypto that Leapfrog
// does not offer: each throws an error naming itself, so a script fails
// at the call with a reason instead of "not a function".
var cryptoUnavailable = []string{
	"createHash", "createHmac", "createCipheriv", "createDecipheriv", "createSign", "createVerify",
	"createECDH", "createDiffieHellman", "createPrivateKey", "createPublicKey", "createSecretKey",
	"generateKeyPair", "generateKeyPairSync", "generateKey", "generateKeySync", "hash", "hkdf", "hkdfSync",
	"pbkdf2", "pbkdf2Sync", "scrypt", "scryptSync", "publicEncrypt", "privateDecrypt",
	"privateEncrypt", "publicDecrypt", "sign", "verify", "getCiphers", "getHashes", "getCurves",
	"generatePrime", "generatePrimeSync", "checkPrime", "checkPrimeSync", "randomFill",
}

// cryptoModule is require('crypto'): the random functions, from Go's
// crypto/rand.
func (g *Game) cryptoModule() goja.Value {
	rt := g.rt
	c := rt.NewObject()
	set := func(name string, fn any) { must(c.Set(name, fn)) }
	set("randomBytes", func(call goja.FunctionCall) goja.Value {
		n := call.Argument(0).ToInteger()
		if n < 0 || n > 1<<31-1 {
			panic(rt.NewGoError(fmt.Errorf("RangeError: randomBytes size %d is out of range", n)))
		}
		b := make([]byte, n)
		_, _ = rand.Read(b)
		buf := g.bufferFrom(rt.NewArrayBuffer(b))
		if cb, ok := goja.AssertFunction(call.Argument(1)); ok {
			g.callLater(cb, goja.Null(), buf)
			return goja.Undefined()
		}
		return buf
	})
	set("randomInt", func(call goja.FunctionCall) goja.Value {
		lo, hi := int64(0), call.Argument(0).ToInteger()
		cbArg := call.Argument(1)
		if len(call.Arguments) >= 2 {
			if _, isFn := goja.AssertFunction(call.Argument(1)); !isFn {
				lo, hi = hi, call.Argument(1).ToInteger()
				cbArg = call.Argument(2)
			}
		}
		if hi <= lo || hi-lo > 1<<48 {
			panic(rt.NewTypeError(fmt.Sprintf("randomInt: max (%d) must be greater than min (%d) and the range at most 2**48", hi, lo)))
		}
		r, _ := rand.Int(rand.Reader, big.NewInt(hi-lo))
		v := rt.ToValue(lo + r.Int64())
		if cb, ok := goja.AssertFunction(cbArg); ok {
			g.callLater(cb, goja.Null(), v)
			return goja.Undefined()
		}
		return v
	})
	set("randomUUID", func() string { return uuid4() })
	fill := func(call goja.FunctionCall) goja.Value {
		target := call.Argument(0)
		b := g.viewBytes(target)
		off := int64(0)
		if v := call.Argument(1); !goja.IsUndefined(v) {
			off = v.ToInteger()
		}
		size := int64(len(b)) - off
		if v := call.Argument(2); !goja.IsUndefined(v) {
			size = v.ToInteger()
		}
		if off < 0 || size < 0 || off+size > int64(len(b)) {
			panic(rt.NewGoError(fmt.Errorf("RangeError: offset %d and size %d are out of range for %d bytes", off, size, len(b))))
		}
		_, _ = rand.Read(b[off : off+size])
		return target
	}
	set("randomFillSync", fill)
	getRandomValues := func(call goja.FunctionCall) goja.Value {
		if b := g.viewBytes(call.Argument(0)); len(b) > 65536 {
			panic(rt.NewGoError(fmt.Errorf("QuotaExceededError: getRandomValues of %d bytes is over 65536", len(b))))
		}
		return fill(goja.FunctionCall{Arguments: call.Arguments[:1]})
	}
	set("getRandomValues", getRandomValues)
	web := rt.NewObject()
	must(web.Set("getRandomValues", getRandomValues))
	must(web.Set("randomUUID", uuid4))
	set("webcrypto", web)
	for _, name := range cryptoUnavailable {
		set(name, func(goja.FunctionCall) goja.Value {
			panic(rt.NewGoError(fmt.Errorf("crypto.%s: %w: only crypto's random functions are offered (randomBytes, randomInt, randomUUID, getRandomValues, randomFillSync)", name, ErrUnavailableModule)))
		})
	}
	return c
}

// uuid4 is a random (version 4) UUID.
func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// viewBytes is the memory of a typed array, DataView or Buffer, shared.
func (g *Game) viewBytes(v goja.Value) []byte {
	obj, ok := v.(*goja.Object)
	if ok {
		if ab, ok := obj.Get("buffer").Export().(goja.ArrayBuffer); ok {
			off, n := obj.Get("byteOffset").ToInteger(), obj.Get("byteLength").ToInteger()
			return ab.Bytes()[off : off+n]
		}
	}
	panic(g.rt.NewTypeError("the argument must be a Buffer, TypedArray or DataView"))
}

// bufferFrom makes a Buffer over an ArrayBuffer (loading Buffer if needed).
func (g *Game) bufferFrom(ab goja.ArrayBuffer) goja.Value {
	from, _ := goja.AssertFunction(g.rt.Get("Buffer").ToObject(g.rt).Get("from"))
	v, err := from(goja.Undefined(), g.rt.ToValue(ab))
	if err != nil {
		panic(err)
	}
	return v
}

// callLater calls fn(args...) as a callback of its own, after the current
// one, as Node's asynchronous forms do.
func (g *Game) callLater(fn goja.Callable, args ...goja.Value) {
	setImmediate, _ := goja.AssertFunction(g.rt.Get("setImmediate"))
	all := append([]goja.Value{g.rt.ToValue(func(call goja.FunctionCall) goja.Value {
		v, err := fn(goja.Undefined(), call.Arguments...)
		if err != nil {
			panic(err)
		}
		return v
	})}, args...)
	if _, err := setImmediate(goja.Undefined(), all...); err != nil {
		panic(err)
	}
}
