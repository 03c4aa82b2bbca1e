// Command go_seed_client is a stand-in for the seed: the small Go program the desktop app
// replaces. We do not have its source; this follows its description. It fetches a token with a
// JSON client-credentials request, streams one call over
// wss://{tenant}.niceincontact.com/agent/voice/{callId}/stream?access_token=TOKEN with
// gorilla/websocket, reassembles 320-byte frames, applies gain 1.2 and a noise gate of 200,
// and counts what it received. The simulator's tests run it against the simulator to prove
// the seed's exact wire shape is served.
//
// Configured as the seed is, from the environment: CXONE_TENANT, CXONE_CLIENT_ID,
// CXONE_CLIENT_SECRET and CXONE_CALL_ID (all required).
// Prints "bytes=N frames=M remainder=R" and exits 0 when the server closes with 1000.
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/gorilla/websocket"
)

const (
	frameBytes    = 320 // 20 ms of 8 kHz 16-bit mono PCM
	gain          = 1.2
	noiseGate     = 200
	handshakeWait = 10 * time.Second
)

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// getAccessToken asks the tenant's token endpoint for a client-credentials token, as the seed
// does: a JSON body, not the form body RFC 6749 prefers.
func getAccessToken(tenant, clientID, clientSecret string) (string, error) {
	body, err := json.Marshal(map[string]string{
		"grant_type":    "client_credentials",
		"client_id":     clientID,
		"client_secret": clientSecret,
	})
	if err != nil {
		return "", err
	}
	endpoint := fmt.Sprintf("https://%s.niceincontact.com/oauth2/token", tenant)
	client := &http.Client{Timeout: handshakeWait}
	resp, err := client.Post(endpoint, "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token endpoint answered %s", resp.Status)
	}
	var tok tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		return "", err
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("token response has no access_token")
	}
	return tok.AccessToken, nil
}

// process applies the seed's DSP to one frame in place: gain, then a hard noise gate, clamped.
func process(frame []byte) {
	for i := 0; i+1 < len(frame); i += 2 {
		s := float64(int16(binary.LittleEndian.Uint16(frame[i:])))
		s *= gain
		if s > -noiseGate && s < noiseGate {
			s = 0
		}
		if s > 32767 {
			s = 32767
		} else if s < -32768 {
			s = -32768
		}
		binary.LittleEndian.PutUint16(frame[i:], uint16(int16(s)))
	}
}

// mustEnv reads one of the seed's configuration variables.
func mustEnv(name string) string {
	v := os.Getenv(name)
	if v == "" {
		fmt.Fprintf(os.Stderr, "%s is not set\n", name)
		os.Exit(1)
	}
	return v
}

func main() {
	tenant := mustEnv("CXONE_TENANT")
	clientID := mustEnv("CXONE_CLIENT_ID")
	secret := mustEnv("CXONE_CLIENT_SECRET")
	callID := mustEnv("CXONE_CALL_ID")

	token, err := getAccessToken(tenant, clientID, secret)
	if err != nil {
		fmt.Fprintln(os.Stderr, "token:", err)
		os.Exit(2)
	}
	streamURL := fmt.Sprintf("wss://%s.niceincontact.com/agent/voice/%s/stream?access_token=%s",
		tenant, url.PathEscape(callID), url.QueryEscape(token))
	dialer := websocket.Dialer{HandshakeTimeout: handshakeWait}
	conn, resp, err := dialer.Dial(streamURL, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		fmt.Fprintf(os.Stderr, "dial: status %d: %v\n", status, err)
		os.Exit(3)
	}
	defer conn.Close()

	var pending []byte
	total, frames := 0, 0
	for {
		kind, data, err := conn.ReadMessage()
		if err != nil {
			fmt.Printf("bytes=%d frames=%d remainder=%d\n", total, frames, len(pending))
			if websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				os.Exit(0)
			}
			fmt.Fprintln(os.Stderr, "read:", err)
			os.Exit(4)
		}
		switch kind {
		case websocket.BinaryMessage:
			total += len(data)
			pending = append(pending, data...)
			for len(pending) >= frameBytes {
				frame := pending[:frameBytes]
				process(frame)
				frames++
				pending = pending[frameBytes:]
			}
		case websocket.TextMessage:
			fmt.Fprintln(os.Stderr, "event:", string(data))
		}
	}
}
