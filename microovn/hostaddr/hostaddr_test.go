package hostaddr

import (
	"errors"
	"testing"
)

func TestCheckLocalLoopbackAccepted(t *testing.T) {
	if err := CheckLocal("127.0.0.1"); err != nil {
		t.Errorf("CheckLocal(127.0.0.1) = %v, want nil", err)
	}
}

func TestCheckLocalForeignAddress(t *testing.T) {
	if err := CheckLocal("198.18.250.250"); !errors.Is(err, ErrNotLocal) {
		t.Errorf("CheckLocal(198.18.250.250) = %v, want ErrNotLocal", err)
	}
}

func TestCheckLocalHostName(t *testing.T) {
	if err := CheckLocal("host.example"); !errors.Is(err, ErrNotIP) {
		t.Errorf("CheckLocal(host.example) = %v, want ErrNotIP", err)
	}
}
